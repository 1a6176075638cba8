import KVMNetDiagnose
import KVMNetModel
import Testing

@Suite struct PathRenderingTests {
    @Test func vlanMismatchLineIsExactlyTheIssuesExample() throws {
        let report = try Lab.kvmLayout().snapshot().report(.path(from: "vm1", to: "vm2"))
        #expect(report.path?.rendered
                == "vm1 vnet0 -- brvlan-10 -- bond0.10 [vlan 10]  X  bond0.20 [vlan 20] -- brvlan-20 -- vnet1 vm2")
        #expect(report.path?.relation == .vlanMismatch)
        #expect(report.path?.sharesSegment == false)
    }

    @Test func sameBridgeLine() throws {
        let report = try Lab.kvmLayout().snapshot().report(.path(from: "vm1", to: "vnet2"))
        #expect(report.path?.rendered == "vm1 vnet0 -- brvlan-10 -- vnet2 vm3")
    }

    @Test func sameVLANThroughTwoBridgesShowsTheTrunk() throws {
        var host = try Lab.kvmLayout()
        host.vlan("veth1.10", id: 10, parent: "veth1")
        host.bridge("br-b", ports: ["veth1.10"])
        host.vm("vm5", tap: "vnet5", bridge: "br-b", mac: "52:54:00:00:00:05")
        let report = host.snapshot().report(.path(from: "vm1", to: "vm5"))
        #expect(report.path?.rendered
                == "vm1 vnet0 -- brvlan-10 -- bond0.10 [vlan 10] -- bond0  X  veth1.10 [vlan 10] [vlan.on_bond_slave] -- br-b -- vnet5 vm5")
    }

    @Test func untaggedAgainstTaggedOnOneBond() throws {
        var host = try Lab.kvmLayout()
        host.bridge("br-native", ports: ["bond0"])
        host.vm("vm5", tap: "vnet5", bridge: "br-native", mac: "52:54:00:00:00:05")
        let report = host.snapshot().report(.path(from: "vm5", to: "vm2"))
        #expect(report.path?.rendered == "vm5 vnet5 -- br-native -- bond0 [untagged]  X  bond0.20 [vlan 20] -- brvlan-20 -- vnet1 vm2")
        #expect(report.findings("path.vlan_mismatch").first?.explanation.hasPrefix("vm5 is untagged (native VLAN) and vm2 in VLAN 20 on bond0") == true)
    }

    @Test func externalPathMarksTheBrokenBond() throws {
        var host = try Lab.kvmLayout()
        host.topology.bonds["bond0"]?.activeSlave = nil
        let report = host.snapshot().report(.external(from: "vm1"))
        #expect(report.path?.rendered == "vm1 vnet0 -- brvlan-10 -- bond0.10 [vlan 10] -- bond0 [bond.no_active_slave]  X  veth0+veth1")
        #expect(report.verdict == "vm1 cannot get out: bond0 has no active slave")
        #expect(report.exitCode == 1)
    }

    @Test func externalPathHealthy() throws {
        let report = try Lab.kvmLayout().snapshot().report(.external(from: "vm2"))
        #expect(report.path?.rendered == "vm2 vnet1 -- brvlan-20 -- bond0.20 [vlan 20] -- bond0 -- veth0+veth1")
        #expect(report.verdict == "vm2's way out (through bond0) looks healthy")
        #expect(report.exitCode == 0)
    }

    @Test func detachedTapIsMarked() throws {
        var host = try Lab.kvmLayout()
        host.vm("vm5", tap: "vnet5", bridge: nil, mac: "52:54:00:00:00:05", xmlBridge: "brvlan-10")
        let report = host.snapshot().report(.path(from: "vm5", to: "vm1"))
        #expect(report.path?.relation == .detached)
        #expect(report.path?.rendered == "vm5 vnet5 [vm.tap_detached]  X  brvlan-10 -- vnet0 vm1")
        #expect(report.verdict.hasPrefix("vm5 cannot reach vm1: vm5's tap vnet5 is on no bridge"))
    }

    @Test func endpointThatIsTheBridgeUplinkAppearsOnce() throws {
        let report = try Lab.kvmLayout().snapshot().report(.path(from: "bond0.10", to: "vm3"))
        #expect(report.path?.rendered == "bond0.10 -- brvlan-10 -- vnet2 vm3")
        let apart = try Lab.kvmLayout().snapshot().report(.path(from: "bond0.10", to: "vm2"))
        #expect(apart.path?.relation == .vlanMismatch)
        #expect(apart.path?.rendered == "bond0.10 -- brvlan-10  X  bond0.20 [vlan 20] -- brvlan-20 -- vnet1 vm2")
    }

    @Test func hopLabels() {
        #expect(Hop(kind: .endpoint, name: "vnet0", domain: "vm1").label() == "vm1 vnet0")
        #expect(Hop(kind: .endpoint, name: "vnet1", domain: "vm2").label(reversed: true) == "vnet1 vm2")
        #expect(Hop(kind: .vlan, name: "bond0.10", vlanID: 10).label() == "bond0.10 [vlan 10]")
        #expect(Hop(kind: .slaves, name: "bond0", devices: ["ens37", "ens38"]).label() == "ens37+ens38")
        #expect(Hop(kind: .bond, name: "bond0", failures: ["bond.degraded"]).label() == "bond0 [bond.degraded]")
    }
}
