import Foundation
import KVMNetDiagnose
import KVMNetModel
import Testing

/// kvmnet-diag on VLAN-aware bridges and stacked layouts (issue 13). The lab
/// (Tests/KernelLab) checks the same verdicts against real pings.
@Suite struct VLANAwareBridgeTests {
    @Test func differentPVIDsOnOneBridgeAreAVLANMismatch() throws {
        let report = HostBuilder.vlanAwareLayout().snapshot().report(.path(from: "vm1", to: "vm2"))
        let finding = try #require(report.findings("path.vlan_mismatch").first)
        #expect(finding.severity == .fail)
        #expect(finding.explanation.hasPrefix("vm1 and vm2 are on the VLAN-aware bridge br0 in different VLANs: vnet0 has PVID 10 and vnet1 PVID 20"))
        #expect(finding.evidence.contains(Evidence(source: "netlink", attribute: "IFLA_BRIDGE_VLAN_INFO of vnet1 (bridge vlan show dev vnet1)", value: "20 PVID untagged")))
        #expect(finding.fix.contains("bridge vlan add dev vnet1 vid 10 pvid untagged"))
        #expect(report.path?.relation == .vlanMismatch)
        #expect(report.path?.rendered == "vm1 vnet0 [pvid 10] -- br0 [vlan 10]  X  [vlan 20] br0 -- vnet1 [pvid 20] vm2")
        #expect(report.exitCode == 1)
    }

    @Test func samePVIDOnOneBridgeSharesTheSegment() throws {
        let report = HostBuilder.vlanAwareLayout().snapshot().report(.path(from: "vm1", to: "vm3"))
        #expect(report.path?.relation == .sameBridge)
        #expect(report.findings.filter { $0.severity == .fail }.isEmpty)
        #expect(report.exitCode == 0)
        #expect(report.path?.rendered == "vm1 vnet0 [pvid 10] -- br0 [vlan 10] -- vnet2 [pvid 10] vm3")
    }

    @Test func pvidWithTaggedEgressIsAMismatch() throws {
        var host = HostBuilder.vlanAwareLayout()
        host.portVLANs("br0", "vnet2", BridgeVLANSet(ranges: [.init(vid: 10, untagged: false)], pvid: 10))
        let report = host.snapshot().report(.path(from: "vm1", to: "vm3"))
        let finding = try #require(report.findings("path.vlan_mismatch").first)
        #expect(finding.explanation.contains("VLAN 10 leaves vnet2 tagged"))
        #expect(report.exitCode == 1)
    }

    @Test func externalWayOutFailsWhenTheVLANIsNotOnTheUplink() throws {
        let report = HostBuilder.vlanAwareLayout().snapshot().report(.external(from: "vm2"))
        let finding = try #require(report.findings("bridge.vlan_not_on_uplink").first)
        #expect(finding.severity == .fail)
        #expect(finding.explanation.hasPrefix("VLAN 20 (vm2 (vnet1)) is allowed on no uplink of the VLAN-aware bridge br0 (bond0 carries VLAN 10)"))
        #expect(finding.fix.hasPrefix("bridge vlan add dev bond0 vid 20"))
        #expect(report.exitCode == 1)
        #expect(report.path?.rendered.hasPrefix("vm2 vnet1 [pvid 20] -- br0 [vlan 20] [bridge.vlan_not_on_uplink]") == true)
    }

    @Test func externalWayOutOfAnAllowedVLANLeavesTaggedThroughTheBond() throws {
        let report = HostBuilder.vlanAwareLayout().snapshot().report(.external(from: "vm1"))
        #expect(report.findings.filter { $0.severity == .fail }.isEmpty)
        #expect(report.exitCode == 0)
        #expect(report.path?.rendered == "vm1 vnet0 [pvid 10] -- br0 [vlan 10] -- bond0 [vlan 10] -- ens1f0+ens1f1")
    }

    @Test func hostModeWarnsForAVLANNoUplinkCarries() throws {
        let report = HostBuilder.vlanAwareLayout().snapshot().report(.host)
        let finding = try #require(report.findings("bridge.vlan_not_on_uplink").first)
        #expect(finding.severity == .warn)
        #expect(finding.subject == "br0 VLAN 20")
    }

    @Test func portWithoutPVIDFails() throws {
        var host = HostBuilder.vlanAwareLayout()
        host.portVLANs("br0", "vnet2", HostBuilder.trunk(10...10))
        let report = host.snapshot().report(.path(from: "vm1", to: "vm3"))
        let finding = try #require(report.findings("bridge.port_no_pvid").first)
        #expect(finding.severity == .fail)
        #expect(finding.subject == "vnet2")
        #expect(report.path?.relation == .blocked)
        #expect(report.exitCode == 1)
        let host2 = host.snapshot().report(.host)
        #expect(host2.findings("bridge.port_no_pvid").map(\.subject) == ["vnet2"])
    }

    @Test func unknownPortVLANsOnAFilteringBridgeAreNeverOK() throws {
        var host = HostBuilder.vlanAwareLayout()
        for i in host.topology.bridges["br0"]!.ports.indices { host.topology.bridges["br0"]!.ports[i].vlans = nil }
        let report = host.snapshot().report(.path(from: "vm1", to: "vm2"))
        #expect(report.findings("bridge.vlan_data_missing").count == 1)
        #expect(report.exitCode != 0)
    }

    /// The seed's layout: bond0 (balance-alb) -> br1 -> br1.10 -> brvlan-10 <- vm1.
    static func seedLayout(mode: BondMode = .balanceALB, down: Set<String> = []) -> HostBuilder {
        var host = HostBuilder()
        host.bond("bond0", mode: mode, slaves: ["ens33", "ens34", "ens35", "ens36"], down: down)
        host.bridge("br1", ports: ["bond0"])
        host.vlan("br1.10", id: 10, parent: "br1")
        host.vlan("br1.20", id: 20, parent: "br1")
        host.bridge("brvlan-10", ports: ["br1.10"])
        host.bridge("brvlan-20", ports: ["br1.20"])
        host.vm("vm1", tap: "vnet0", bridge: "brvlan-10", mac: "52:54:00:00:00:01")
        host.vm("vm2", tap: "vnet1", bridge: "brvlan-20", mac: "52:54:00:00:00:02")
        return host
    }

    @Test func tracedPathOfTheSeedLayoutGoesDownToTheBondBelowBr1() throws {
        let report = Self.seedLayout(mode: .activeBackup).snapshot().report(.external(from: "vm1"))
        #expect(report.path?.rendered == "vm1 vnet0 -- brvlan-10 -- br1.10 [vlan 10] -- br1 -- bond0 -- ens33+ens34+ens35+ens36")
        #expect(report.exitCode == 0)
    }

    @Test func aDeadBondBelowBr1IsReportedForTheWayOut() throws {
        var host = Self.seedLayout(mode: .activeBackup, down: ["ens33", "ens34", "ens35", "ens36"])
        host.topology.bonds["bond0"]?.activeSlave = nil
        let report = host.snapshot().report(.external(from: "vm1"))
        #expect(report.findings("bond.no_active_slave").count == 1)
        #expect(report.path?.rendered.contains("bond0 [bond.no_active_slave]") == true)
        #expect(report.exitCode == 1)
    }

    @Test func vmsOnTheSeedLayoutsTwoVLANsMismatchOnTheBond() throws {
        let report = Self.seedLayout(mode: .activeBackup).snapshot().report(.path(from: "vm1", to: "vm2"))
        #expect(report.path?.relation == .vlanMismatch)
        #expect(report.findings("path.vlan_mismatch").count == 1)
    }

    @Test func balanceALBUnderTheVMsBridgeWarns() throws {
        let report = Self.seedLayout().snapshot().report(.host)
        let finding = try #require(report.findings("bond.mode_unsuited_for_bridge").first)
        #expect(finding.severity == .warn)
        #expect(finding.explanation.hasPrefix("bond0 carries the bridges br1, brvlan-10, brvlan-20 with VMs, but bond0 runs balance-alb (mode 6)"))
        let external = Self.seedLayout().snapshot().report(.external(from: "vm1"))
        #expect(external.findings("bond.mode_unsuited_for_bridge").count == 1)
        #expect(Self.seedLayout(mode: .activeBackup).snapshot().report(.host).findings("bond.mode_unsuited_for_bridge").isEmpty)
    }

    @Test func arpMonitoringUnderABridgeWarns() throws {
        var host = Self.seedLayout(mode: .activeBackup)
        host.topology.bonds["bond0"]?.arpIntervalMs = 1000
        let finding = try #require(host.snapshot().report(.host).findings("bond.mode_unsuited_for_bridge").first)
        #expect(finding.explanation.contains("ARP monitoring (arp_interval 1000 ms)"))
    }

    @Test func vlanDeviceOnAVLANAwareBridgeReachesTheHost() throws {
        // br0.10 on the VLAN-aware br0 whose own port carries VLAN 10 tagged: the host's
        // address on br0.10 goes out through bond0 tagged 10.
        var host = HostBuilder.vlanAwareLayout()
        host.vlan("br0.10", id: 10, parent: "br0")
        host.topology.links["br0.10"]?.addresses = ["10.0.10.1/24"]
        host.vlanAware("br0", selfVLANs: BridgeVLANSet(ranges: [.init(vid: 1, untagged: true), .init(vid: 10)], pvid: 1))
        let ok = host.snapshot().report(.external(from: "br0.10"))
        #expect(ok.path?.rendered == "br0.10 [vlan 10] -- br0 [vlan 10] -- bond0 [vlan 10] -- ens1f0+ens1f1")
        #expect(ok.exitCode == 0)
        let pair = host.snapshot().report(.path(from: "br0.10", to: "vm1"))
        #expect(pair.path?.relation == .sameSegment || pair.path?.relation == .sameBridge)

        // Without VLAN 10 on the bridge's own port the bridge drops br0.10's frames.
        host.vlanAware("br0", selfVLANs: HostBuilder.access(1))
        let blocked = host.snapshot().report(.external(from: "br0.10"))
        #expect(blocked.findings("bridge.vlan_not_on_port").count == 1)
        #expect(blocked.exitCode == 1)
    }

    @Test func an8021adBridgeAddsAnOuterTag() throws {
        // QinQ: VMs in C-VLAN 100 via the 802.1Q VLAN device of an 802.1ad bridge's port.
        var host = HostBuilder()
        host.link("ens1", .physical)
        host.bridge("br-s", ports: ["ens1"])
        host.vlanAware("br-s", proto: .dot1ad)
        host.portVLANs("br-s", "ens1", HostBuilder.trunk(300...300))
        host.link("veth-c", .veth)
        host.topology.bridges["br-s"]?.ports.append(BridgePort(name: "veth-c", state: .forwarding, vlans: HostBuilder.access(300)))
        host.topology.links["veth-c"]?.master = "br-s"
        host.vm("vm1", tap: "vnet0", bridge: "br-s", mac: "52:54:00:00:00:01")
        host.portVLANs("br-s", "vnet0", HostBuilder.access(300))
        let report = host.snapshot().report(.external(from: "vm1"))
        #expect(report.path?.rendered == "vm1 vnet0 [pvid 300] -- br-s [vlan 300] -- ens1 [vlan 300]")
        #expect(report.findings("bridge.vlan_protocol_mismatch").first?.severity == .warn)
    }

    @Test func theSnapshotCarriesBridgeVLANsThroughJSON() throws {
        let snapshot = HostBuilder.vlanAwareLayout().snapshot()
        let data = try JSONEncoder().encode(snapshot)
        let back = try JSONDecoder().decode(DiagSnapshot.self, from: data)
        #expect(back.topology.bridges["br0"]?.port(named: "vnet1")?.vlans == HostBuilder.access(20))
        #expect(back.report(.path(from: "vm1", to: "vm2")).exitCode == 1)
    }
}

/// `bridge.vlan_filtering_off`: libvirt's `<vlan>` on a bridge that does not filter VLANs.
extension VLANAwareBridgeTests {
    /// br0 (vlan_filtering 0) over bond0; vm1 and vm2 ask for VLAN 10 and 20 in their XML.
    static func taggedVMsOnAPlainBridge() -> HostBuilder {
        var host = HostBuilder()
        host.sources = [.netlink, .procfs]
        host.bond("bond0", slaves: ["ens1f0", "ens1f1"])
        host.bridge("br0", ports: ["bond0"])
        host.vm("vm1", tap: "vnet0", bridge: "br0", mac: "52:54:00:00:00:01")
        host.vm("vm2", tap: "vnet1", bridge: "br0", mac: "52:54:00:00:00:02")
        host.topology.bridges["br0"]?.vlanFiltering = false
        host.facts.domains[0].interfaces[0].vlan = VMVLANRequest(tags: [10])
        host.facts.domains[0].interfaces[0].childLines["vlan"] = 65
        host.facts.domains[1].interfaces[0].vlan = VMVLANRequest(tags: [20])
        return host
    }

    @Test func aTagOnABridgeThatDoesNotFilterFailsTheWayOut() throws {
        let report = Self.taggedVMsOnAPlainBridge().snapshot().report(.external(from: "vm1"))
        let f = try #require(report.findings("bridge.vlan_filtering_off").first)
        #expect(f.severity == .fail)
        #expect(f.subject == "vm1 (vnet0)")
        #expect(f.explanation.hasPrefix("vm1 asks for VLAN 10 on vnet0 (libvirt <vlan>), but vnet0 is a port of br0, which does not filter VLANs"))
        #expect(f.explanation.contains("leave bond0 untagged"))
        #expect(f.evidence.contains(Evidence(source: "libvirt", file: "/run/libvirt/qemu/vm1.xml", line: 65, attribute: "<vlan tag id>", value: "10")))
        #expect(f.fix.contains("ip link set dev br0 type bridge vlan_filtering 1 && bridge vlan add dev vnet0 vid 10 pvid untagged"))
        #expect(report.findings("bridge.vlan_filtering_off").count == 1, "vm2's finding is not about vm1's way out")
        #expect(report.exitCode == 1)
    }

    @Test func twoTaggedVMsOnOnePlainBridgeReachEachOtherSoItOnlyWarns() throws {
        let report = Self.taggedVMsOnAPlainBridge().snapshot().report(.path(from: "vm1", to: "vm2"))
        let fs = report.findings("bridge.vlan_filtering_off")
        #expect(fs.map(\.subject) == ["vm1 (vnet0)", "vm2 (vnet1)"])
        #expect(fs.allSatisfy { $0.severity == .warn })
        #expect(report.exitCode == 2)
    }

    @Test func noFindingWhenTheBridgeFiltersOrNothingIsAsked() throws {
        var host = Self.taggedVMsOnAPlainBridge()
        host.topology.bridges["br0"]?.vlanFiltering = nil   // unknown: never guessed
        #expect(host.snapshot().report(.host).findings("bridge.vlan_filtering_off").isEmpty)
        host.topology.bridges["br0"]?.vlanFiltering = false
        host.facts.domains[0].interfaces[0].vlan = nil
        host.facts.domains[1].interfaces[0].vlan = nil
        #expect(host.snapshot().report(.host).findings("bridge.vlan_filtering_off").isEmpty)
    }
}

/// Verdicts the kernel lab's pings proved wrong once (Tests/KernelLab, scenarios seed-alb
/// and vlan-dev-on-aware-bridge), kept here as unit tests.
extension VLANAwareBridgeTests {
    @Test func aDeadBondBelowTheSharedBridgeDoesNotKeepTwoVMsOfItApart() throws {
        // seed-alb, step dead: vm1 and vm3 on brvlan-10 still ping each other.
        var host = Self.seedLayout(down: ["ens33", "ens34", "ens35", "ens36"])
        host.topology.bonds["bond0"]?.activeSlave = nil
        host.vm("vm3", tap: "vnet2", bridge: "brvlan-10", mac: "52:54:00:00:00:03")
        let pair = host.snapshot().report(.path(from: "vm1", to: "vm3"))
        #expect(pair.path?.relation == .sameBridge)
        #expect(pair.findings.filter { $0.severity == .fail }.isEmpty, "\(pair.findings.map(\.check))")
        #expect(pair.findings("bond.no_active_slave").isEmpty)
        // ... while the way out of either still names the bond.
        #expect(host.snapshot().report(.external(from: "vm1")).findings("bond.no_active_slave").count == 1)
    }

    @Test func aVMReachesTheHostsVLANDeviceOnItsVLANAwareBridge() throws {
        // vlan-dev-on-aware-bridge: br0 (no uplink), br0.10 with the host's address, vm1 in
        // VLAN 10 pings it, vm2 in VLAN 20 does not; without VLAN 10 on br0 self neither.
        var host = HostBuilder()
        host.sources = [.netlink, .procfs]
        host.bridge("br0", ports: [])
        host.vm("vm1", tap: "vnet0", bridge: "br0", mac: "52:54:00:00:00:01")
        host.vm("vm2", tap: "vnet1", bridge: "br0", mac: "52:54:00:00:00:02")
        host.vlanAware("br0", selfVLANs: BridgeVLANSet(ranges: [.init(vid: 1, untagged: true), .init(vid: 10)], pvid: 1))
        host.portVLANs("br0", "vnet0", HostBuilder.access(10))
        host.portVLANs("br0", "vnet1", HostBuilder.access(20))
        host.vlan("br0.10", id: 10, parent: "br0")
        host.topology.links["br0.10"]?.addresses = ["10.10.10.1/24"]
        let ok = host.snapshot().report(.path(from: "vm1", to: "br0.10"))
        #expect(ok.path?.relation == .sameBridge)
        #expect(ok.exitCode == 0 || ok.exitCode == 2, "\(ok.findings.map(\.check))")
        #expect(ok.path?.rendered == "vm1 vnet0 [pvid 10] -- br0 [vlan 10] -- br0.10 [vlan 10]")
        let other = host.snapshot().report(.path(from: "vm2", to: "br0.10"))
        #expect(other.path?.relation == .vlanMismatch)
        #expect(other.findings("path.vlan_mismatch").first?.severity == .fail)
        host.vlanAware("br0", selfVLANs: HostBuilder.access(1))
        let blocked = host.snapshot().report(.path(from: "vm1", to: "br0.10"))
        #expect(blocked.findings("bridge.vlan_not_on_port").count == 1)
        #expect(blocked.exitCode == 1)
    }
}
