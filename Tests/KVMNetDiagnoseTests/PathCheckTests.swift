import KVMNetDiagnose
import KVMNetModel
import KVMNetSources
import Testing

@Suite struct PathCheckTests {
    @Test func vlanMismatchFiresForVM1AndVM2AndNamesBothVLANs() throws {
        let report = try Lab.kvmLayout().snapshot().report(.path(from: "vm1", to: "vm2"))
        let finding = try #require(report.findings("path.vlan_mismatch").first)
        #expect(finding.severity == .fail)
        #expect(finding.subject == "vm1 -> vm2")
        #expect(finding.explanation.hasPrefix("vm1 is in VLAN 10 and vm2 in VLAN 20 on bond0, so they share no L2 segment"))
        #expect(finding.evidence.contains(Evidence(source: "procfs", file: "/proc/net/vlan/config", line: 3,
                                                   attribute: "VLAN Dev name | VLAN ID | parent", value: "bond0.10 | 10 | bond0")))
        #expect(finding.evidence.contains { $0.line == 4 && $0.value == "bond0.20 | 20 | bond0" })
        #expect(finding.fix.contains("ip link set dev vnet1 master brvlan-10"))
        #expect(report.exitCode == 1)
        #expect(report.verdict == "vm1 cannot reach vm2: vm1 is in VLAN 10 and vm2 in VLAN 20 on bond0, so they share no L2 segment")
        #expect(report.findings.first?.check == "path.vlan_mismatch")
    }

    @Test func vlanMismatchMentionsThatARouterCannotHelpInOneSubnet() throws {
        var host = try Lab.kvmLayout()
        host.facts.neighbours = [Neighbour(address: "10.10.10.10", mac: "52:54:00:6b:3c:01", interface: "brvlan-10"),
                                 Neighbour(address: "10.10.10.20", mac: "52:54:00:6b:3c:02", interface: "brvlan-20")]
        let report = host.snapshot().report(.path(from: "10.10.10.10/24", to: "10.10.10.20/24"))
        let finding = try #require(report.findings("path.vlan_mismatch").first)
        #expect(finding.explanation.contains("Both are in subnet 10.10.10.0/24, so they ARP for each other directly and a router cannot help"))
        #expect(report.path?.from.domain == "vm1")
        #expect(report.path?.to?.domain == "vm2")
    }

    @Test func vlanMismatchQuietOnTheSameBridge() throws {
        let report = try Lab.kvmLayout().snapshot().report(.path(from: "vm1", to: "vm3"))
        #expect(report.findings.isEmpty)
        #expect(report.outcome("path.vlan_mismatch")?.status == .passed)
        #expect(report.path?.relation == .sameBridge)
        #expect(report.exitCode == 0)
        #expect(report.verdict == "vm1 and vm3 share an L2 segment (bridge brvlan-10); nothing wrong found on the path")
    }

    @Test func differentBridgesFailsWhenABridgeHasNoUplink() throws {
        var host = try Lab.kvmLayout()
        host.bridge("br-lab", ports: [])
        host.vm("vm5", tap: "vnet5", bridge: "br-lab", mac: "52:54:00:00:00:05")
        let report = host.snapshot().report(.path(from: "vm1", to: "vm5"))
        let finding = try #require(report.findings("path.different_bridges").first)
        #expect(finding.severity == .fail)
        #expect(finding.explanation.hasPrefix("vm1 is on brvlan-10 and vm5 on br-lab, and br-lab has no uplink"))
        #expect(report.path?.rendered == "vm1 vnet0 -- brvlan-10  X  br-lab -- vnet5 vm5")
        #expect(report.findings("path.vlan_mismatch").isEmpty)
    }

    @Test func differentBridgesWarnsForDifferentNICs() throws {
        var host = try Lab.kvmLayout()
        host.link("ens38", .physical)
        host.bridge("br-ext", ports: ["ens38"])
        host.vm("vm5", tap: "vnet5", bridge: "br-ext", mac: "52:54:00:00:00:05")
        let report = host.snapshot().report(.path(from: "vm1", to: "vm5"))
        let finding = try #require(report.findings("path.different_bridges").first)
        #expect(finding.severity == .warn)
        #expect(finding.explanation.hasPrefix("vm1 is on brvlan-10, which leaves through bond0 (VLAN 10), and vm5 on br-ext, which leaves through ens38 (untagged)."))
        #expect(report.exitCode == 2)
    }

    @Test func differentBridgesQuietForBridgesSharingAVLANOnOneBond() throws {
        // vlan.on_bond_slave layout: br-b's uplink veth1.10 is VLAN 10 on a slave of bond0.
        var host = try Lab.kvmLayout()
        host.vlan("veth1.10", id: 10, parent: "veth1")
        host.bridge("br-b", ports: ["veth1.10"])
        host.vm("vm5", tap: "vnet5", bridge: "br-b", mac: "52:54:00:00:00:05")
        let report = host.snapshot().report(.path(from: "vm1", to: "vm5"))
        #expect(report.path?.relation == .sameSegment)
        #expect(report.findings("path.different_bridges").isEmpty)
        #expect(report.findings("path.vlan_mismatch").isEmpty)
        #expect(report.findings("vlan.on_bond_slave").count == 1)
    }

    @Test func subnetMismatchFiresOnOneSegment() throws {
        var host = try Lab.kvmLayout()
        host.facts.neighbours = [Neighbour(address: "10.10.10.10", mac: "52:54:00:6b:3c:01", interface: "brvlan-10"),
                                 Neighbour(address: "10.10.20.30", mac: "52:54:00:6b:3c:03", interface: "brvlan-10")]
        let report = host.snapshot().report(.path(from: "10.10.10.10/24", to: "10.10.20.30/24"))
        let finding = try #require(report.findings("path.subnet_mismatch").first)
        #expect(finding.explanation.hasPrefix("vm1 (10.10.10.10/24) and vm3 (10.10.20.30/24) share an L2 segment but not a subnet (10.10.10.0/24 vs 10.10.20.0/24)."))
        #expect(finding.subject == "10.10.10.10/24 -> 10.10.20.30/24")
        #expect(report.exitCode == 1)
    }

    @Test func subnetMismatchQuietInOneSubnetAndSkippedWithoutAddresses() throws {
        var host = try Lab.kvmLayout()
        host.facts.neighbours = [Neighbour(address: "10.10.10.10", mac: "52:54:00:6b:3c:01", interface: "brvlan-10"),
                                 Neighbour(address: "10.10.10.30", mac: "52:54:00:6b:3c:03", interface: "brvlan-10")]
        let report = host.snapshot().report(.path(from: "10.10.10.10/24", to: "10.10.10.30/24"))
        #expect(report.outcome("path.subnet_mismatch")?.status == .passed)
        let byName = host.snapshot().report(.path(from: "vm1", to: "vm3"))
        #expect(byName.outcome("path.subnet_mismatch")?.status == .skipped)
    }

    @Test func mtuMismatchFiresOnTheSameBridge() throws {
        var host = try Lab.kvmLayout()
        host.topology.links["vnet2"]?.mtu = 9000
        let report = host.snapshot().report(.path(from: "vm1", to: "vm3"))
        let finding = try #require(report.findings("path.mtu_mismatch").first)
        #expect(finding.severity == .warn)
        #expect(finding.explanation.hasPrefix("The MTU changes along the path (vnet0 1500, brvlan-10 1500, vnet2 9000)."))
        #expect(finding.fix.hasPrefix("raise the small MTU: ip link set dev vnet0 mtu 9000"))
    }

    @Test func mtuMismatchQuietWithEqualMTUs() throws {
        let report = try Lab.kvmLayout().snapshot().report(.path(from: "vm1", to: "vm3"))
        #expect(report.outcome("path.mtu_mismatch")?.status == .passed)
    }

    @Test func pathModeKeepsOnlyFindingsOnThePath() throws {
        var host = try Lab.kvmLayout()
        host.bond("bond9", mode: .activeBackup, slaves: ["ens9"], active: nil)
        host.topology.bonds["bond9"]?.activeSlave = nil
        let hostReport = host.snapshot().report()
        #expect(hostReport.findings("bond.no_active_slave").count == 1)
        let pathReport = host.snapshot().report(.path(from: "vm1", to: "vm3"))
        #expect(pathReport.findings("bond.no_active_slave").isEmpty)
        #expect(pathReport.outcome("host.no_default_route") == nil)
    }

    @Test func unknownEndpointIsAUsageError() throws {
        let report = try Lab.kvmLayout().snapshot().report(.path(from: "vm1", to: "vm9"))
        #expect(report.status == .usageError)
        #expect(report.exitCode == 64)
        #expect(report.requestErrors.map(\.query) == ["vm9"])
        #expect(report.verdict.hasPrefix("cannot diagnose: 'vm9' is not a libvirt domain, Proxmox guest, interface, MAC or IP address known on this host"))
    }
}
