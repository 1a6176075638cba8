import Foundation
import KVMNetDiagnose
import KVMNetModel
import KVMNetSources
import Testing

@Suite struct VMCheckTests {
    @Test func tapDetachedFiresForTapOnNoBridge() throws {
        var host = try Lab.kvmLayout()
        host.vm("vm5", tap: "vnet5", bridge: nil, mac: "52:54:00:00:00:05", xmlBridge: "brvlan-10")
        let finding = try #require(host.snapshot().report().findings("vm.tap_detached").first)
        #expect(finding.severity == .fail)
        #expect(finding.subject == "vm5 vnet5")
        #expect(finding.explanation.hasPrefix("vm5's tap vnet5 is on no bridge, so the VM is cut off; libvirt put it on brvlan-10."))
        #expect(finding.fix == "ip link set dev vnet5 master brvlan-10")
        let target = try #require(finding.evidence.first { $0.source == "libvirt" })
        #expect(target.file == "/run/libvirt/qemu/vm5.xml")
        #expect(target.line == 63)
        #expect(target.attribute == "<target dev>")
    }

    @Test func tapDetachedFiresWhenTheTapIsMissing() throws {
        var host = try Lab.kvmLayout()
        host.topology.links["vnet1"] = nil
        host.topology.bridges["brvlan-20"]?.ports.removeAll { $0.name == "vnet1" }
        let finding = try #require(host.snapshot().report().findings("vm.tap_detached").first)
        #expect(finding.explanation.hasPrefix("vm2's tap vnet1 does not exist on the host"))
    }

    @Test func tapDetachedSkippedWithoutLibvirt() throws {
        var host = try Lab.kvmLayout()
        host.facts.domains = []
        host.facts.libvirtDirectories = []
        #expect(host.snapshot().report().outcome("vm.tap_detached")?.status == .skipped)
    }

    /// A denied libvirt directory skips the vm.* checks, also from a saved snapshot: the
    /// error keeps its kind, the report shows only source, path and message.
    @Test func deniedLibvirtSkipsTheVMChecksAlsoFromASavedSnapshot() throws {
        var host = try Lab.kvmLayout()
        host.facts.domains = []
        host.errors = [SourceError(source: .libvirt, path: "/run/libvirt/qemu", kind: .permission, message: "Permission denied")]
        let saved = try JSONDecoder().decode(DiagSnapshot.self, from: Data(host.snapshot().jsonBytes()))
        for snapshot in [host.snapshot(), saved] {
            let report = snapshot.report()
            #expect(report.outcome("vm.tap_detached")?.reason == "needs root: /run/libvirt/qemu is not readable by this user (Permission denied)")
            #expect(report.dataErrors == [DataError(SourceError(source: .libvirt, path: "/run/libvirt/qemu", message: "Permission denied"))])
        }
        // Another error of the same source is no reason to skip.
        host.errors = [SourceError(source: .libvirt, path: "/run/libvirt/qemu/vm9.xml", message: "line 1: no root element")]
        #expect(host.snapshot().report().outcome("vm.tap_detached")?.status != .skipped)
    }

    @Test func tapWrongBridgeFires() throws {
        var host = try Lab.kvmLayout()
        host.vm("vm5", tap: "vnet5", bridge: "brvlan-20", mac: "52:54:00:00:00:05", xmlBridge: "brvlan-10")
        let finding = try #require(host.snapshot().report().findings("vm.tap_wrong_bridge").first)
        #expect(finding.explanation.hasPrefix("vm5's tap vnet5 is on brvlan-20, but its domain XML puts it on brvlan-10."))
        #expect(finding.fix.hasPrefix("ip link set dev vnet5 master brvlan-10"))
        #expect(finding.evidence.map(\.value) == ["brvlan-20", "brvlan-10"])
    }

    @Test func tapWrongBridgeUsesTheNetworksBridge() throws {
        var host = try Lab.kvmLayout()
        host.bridge("virbr0", ports: [], addresses: ["192.168.122.1/24"])
        host.vm("vm5", tap: "vnet5", bridge: "brvlan-10", mac: "52:54:00:00:00:05")
        host.facts.domains[host.facts.domains.count - 1].interfaces[0].type = "network"
        host.facts.domains[host.facts.domains.count - 1].interfaces[0].sourceNetwork = "default"
        host.facts.networks = [LibvirtNetwork(name: "default", bridge: "virbr0", forwardMode: "nat", active: true, file: "/run/libvirt/network/default.xml")]
        let finding = try #require(host.snapshot().report().findings("vm.tap_wrong_bridge").first)
        #expect(finding.explanation.contains("its domain XML puts it on virbr0"))
    }

    @Test func tapWrongBridgeQuietOnTheRightBridge() throws {
        #expect(try Lab.kvmLayout().snapshot().report().findings("vm.tap_wrong_bridge").isEmpty)
    }

    @Test func tapDownFiresForLinkStateDownInXML() throws {
        var host = try Lab.kvmLayout()
        host.vm("vm5", tap: "vnet5", bridge: "brvlan-10", mac: "52:54:00:00:00:05", linkState: "down")
        let finding = try #require(host.snapshot().report().findings("vm.tap_down").first)
        #expect(finding.fix == "virsh domif-setlink vm5 vnet5 up")
        #expect(finding.evidence.first?.line == 64)
    }

    @Test func tapDownFiresForAdminDownTap() throws {
        var host = try Lab.kvmLayout()
        host.topology.links["vnet2"]?.adminUp = false
        let finding = try #require(host.snapshot().report().findings("vm.tap_down").first)
        #expect(finding.subject == "vm3 vnet2")
        #expect(finding.fix == "ip link set dev vnet2 up")
    }

    @Test func tapDownQuietForTapWithUnknownOperstate() throws {
        var host = try Lab.kvmLayout()
        host.topology.links["vnet2"]?.operState = .unknown
        #expect(host.snapshot().report().findings("vm.tap_down").isEmpty)
    }

    @Test func duplicateMACFiresForTwoRunningClones() throws {
        var host = try Lab.kvmLayout()
        host.vm("vm1-clone", tap: "vnet5", bridge: "brvlan-10", mac: "52:54:00:6b:3c:01")
        let finding = try #require(host.snapshot().report().findings("vm.duplicate_mac").first)
        #expect(finding.severity == .fail)
        #expect(finding.subject == "52:54:00:6b:3c:01")
        #expect(finding.explanation.hasPrefix("vm1 and vm1-clone use the same MAC 52:54:00:6b:3c:01"))
        #expect(finding.evidence.map(\.file) == ["/run/libvirt/qemu/vm1.xml", "/run/libvirt/qemu/vm1-clone.xml"])
        #expect(finding.evidence.map(\.line) == [61, 61])
    }

    @Test func duplicateMACWarnsWhenTheCloneIsNotRunning() throws {
        var host = try Lab.kvmLayout()
        host.vm("vm1-clone", tap: "vnet5", bridge: nil, mac: "52:54:00:6b:3c:01", running: false)
        let finding = try #require(host.snapshot().report().findings("vm.duplicate_mac").first)
        #expect(finding.severity == .warn)
    }

    @Test func duplicateMACQuietForDistinctMACs() throws {
        #expect(try Lab.kvmLayout().snapshot().report().findings("vm.duplicate_mac").isEmpty)
    }
}
