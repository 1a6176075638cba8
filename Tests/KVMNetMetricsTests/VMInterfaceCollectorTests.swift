import KVMNetMetrics
import KVMNetModel
import KVMNetState
import Testing

/// `kvmnet_vm_interface_info`, independent of the golden file (whose fixture host is
/// replayed with `--no-netlink`, where the agent reads no libvirt state).
@Suite struct VMInterfaceCollectorTests {
    func snapshot(taps: [String]) -> StateSnapshot {
        var topo = Topology()
        topo.links["br0"] = Link(name: "br0", index: 1, kind: .bridge, operState: .up)
        for (i, t) in taps.enumerated() {
            topo.links[t] = Link(name: t, index: 10 + i, kind: .tap, operState: .unknown, master: "br0")
        }
        return StateSnapshot(topology: topo, counters: EventCounters())
    }

    func render(_ table: VMInterfaceTable, _ snapshot: StateSnapshot) -> String {
        ExpositionRenderer.render(VMInterfaceCollector(table: table).collect(snapshot))
    }

    @Test func oneSeriesPerInterfaceWhoseTapExists() {
        let table = VMInterfaceTable([
            VMInterface(domain: "vm1", mac: "52:54:00:00:00:01", tap: "vnet0", bridge: "br0"),
            VMInterface(domain: "vm2", mac: "52:54:00:00:00:02", tap: "vnet1", bridge: "br0"),
            // A domain whose tap is gone (stopped, status file not re-read yet): no series.
            VMInterface(domain: "vm3", mac: "52:54:00:00:00:03", tap: "vnet7", bridge: "br1"),
            VMInterface(domain: "mv", mac: "52:54:00:00:00:04", tap: "macvtap0", bridge: nil),
        ])
        #expect(render(table, snapshot(taps: ["vnet0", "vnet1", "macvtap0"])) == """
        # HELP kvmnet_vm_interface_info A running VM's interface (libvirt domain or Proxmox VE guest): its tap, the bridge its config names, its MAC and Proxmox vmid; value is always 1.
        # TYPE kvmnet_vm_interface_info gauge
        kvmnet_vm_interface_info{domain="mv",device="macvtap0",bridge="",mac="52:54:00:00:00:04",vmid=\"\"} 1
        kvmnet_vm_interface_info{domain="vm1",device="vnet0",bridge="br0",mac="52:54:00:00:00:01",vmid=\"\"} 1
        kvmnet_vm_interface_info{domain="vm2",device="vnet1",bridge="br0",mac="52:54:00:00:00:02",vmid=\"\"} 1

        """)
    }

    @Test func followsTheTableAndTheTaps() {
        let table = VMInterfaceTable()
        #expect(render(table, snapshot(taps: ["vnet0"])) == "", "no VMs: the family is left out")
        #expect(table.replace([VMInterface(domain: "vm1", mac: "52:54:00:00:00:01", tap: "vnet0", bridge: "br0")]))
        #expect(!table.replace([VMInterface(domain: "vm1", mac: "52:54:00:00:00:01", tap: "vnet0", bridge: "br0")]))
        #expect(render(table, snapshot(taps: ["vnet0"])).contains("kvmnet_vm_interface_info{domain=\"vm1\",device=\"vnet0\",bridge=\"br0\",mac=\"52:54:00:00:00:01\",vmid=\"\"} 1"))
        #expect(render(table, snapshot(taps: [])) == "", "the tap vanished: the series goes with it")
    }

    @Test func aTapClaimedTwiceShowsOnce() {
        let table = VMInterfaceTable([
            VMInterface(domain: "new", mac: "52:54:00:00:00:0a", tap: "vnet0", bridge: "br0"),
            VMInterface(domain: "old", mac: "52:54:00:00:00:0b", tap: "vnet0", bridge: "br0"),
        ])
        let text = render(table, snapshot(taps: ["vnet0"]))
        #expect(text.split(separator: "\n").filter { !$0.hasPrefix("#") }.count == 1)
    }
}

extension VMInterfaceCollectorTests {
    /// The family's labels are exactly these five, and `mac` is the only one holding a MAC
    /// (the documented exception of docs/metrics.md); a Proxmox guest's vmid is `vmid`.
    @Test func labelsAreAudited() {
        let table = VMInterfaceTable([
            VMInterface(domain: "vm1", mac: "52:54:00:00:00:01", tap: "vnet0", bridge: "br0"),
            VMInterface(domain: "web1", mac: "bc:24:11:00:00:01", tap: "tap100i0", bridge: "vmbr0", manager: .proxmoxQEMU, vmid: 100),
        ])
        let families = VMInterfaceCollector(table: table).collect(snapshot(taps: ["vnet0", "tap100i0"]))
        #expect(families.map(\.name) == ["kvmnet_vm_interface_info"])
        let vmids = families.flatMap(\.samples).map { s in s.labels.first { $0.name == "vmid" }?.value }
        #expect(vmids.sorted { ($0 ?? "") < ($1 ?? "") } == ["", "100"])
        for s in families.flatMap(\.samples) {
            #expect(s.labels.map(\.name) == ["domain", "device", "bridge", "mac", "vmid"])
            #expect(s.labels.filter { $0.value.split(separator: ":").count == 6 }.map(\.name) == ["mac"])
        }
    }
}
