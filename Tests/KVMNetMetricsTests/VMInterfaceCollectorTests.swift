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
        #expect(families.map(\.name) == ["kvmnet_vm_interface_info", "kvmnet_vm_interface_vlan"])
        let vmids = families[0].samples.map { s in s.labels.first { $0.name == "vmid" }?.value }
        #expect(vmids.sorted { ($0 ?? "") < ($1 ?? "") } == ["", "100"])
        for s in families[0].samples {
            #expect(s.labels.map(\.name) == ["domain", "device", "bridge", "mac", "vmid"])
            #expect(s.labels.filter { $0.value.split(separator: ":").count == 6 }.map(\.name) == ["mac"])
        }
    }
}

/// `kvmnet_vm_interface_vlan`: the VLAN a VM interface is in (its port's PVID, or the
/// VLAN device of its plain bridge) beside the VLAN its libvirt XML asks for.
extension VMInterfaceCollectorTests {
    func vlanSamples(_ table: VMInterfaceTable, _ topo: Topology) -> [String] {
        let text = render(table, StateSnapshot(topology: topo, counters: EventCounters()))
        return text.split(separator: "\n").filter { $0.hasPrefix("kvmnet_vm_interface_vlan{") }.map(String.init)
    }

    func port(_ name: String, _ vlans: BridgeVLANSet?) -> BridgePort {
        BridgePort(name: name, state: .forwarding, vlans: vlans)
    }

    @Test func vlanAwareBridgeGivesThePVIDAndLibvirtTheRequest() {
        var topo = Topology()
        topo.links["br0"] = Link(name: "br0", index: 1, kind: .bridge, operState: .up)
        for (i, t) in ["vnet0", "vnet1", "vnet2"].enumerated() {
            topo.links[t] = Link(name: t, index: 10 + i, kind: .tap, operState: .unknown, master: "br0")
        }
        var br = Bridge(name: "br0", stpEnabled: false, ports: [
            port("vnet0", BridgeVLANSet(ranges: [.init(vid: 10, untagged: true)], pvid: 10)),
            port("vnet1", BridgeVLANSet(ranges: [.init(vid: 20, untagged: true)], pvid: 20)),
            // a trunk with no PVID: the port gives no VLAN, the request still shows
            port("vnet2", BridgeVLANSet(ranges: [.init(first: 2, last: 4094)])),
        ])
        br.vlanFiltering = true
        topo.bridges["br0"] = br
        let table = VMInterfaceTable([
            VMInterface(domain: "vm1", tap: "vnet0", bridge: "br0", vlan: VMVLANRequest(tags: [10])),
            VMInterface(domain: "vm2", tap: "vnet1", bridge: "br0", vlan: VMVLANRequest(tags: [30])),
            VMInterface(domain: "vm3", tap: "vnet2", bridge: "br0",
                        vlan: VMVLANRequest(tags: [10, 20], trunk: true, nativeTag: 20, nativeMode: .untagged)),
        ])
        #expect(vlanSamples(table, topo) == [
            #"kvmnet_vm_interface_vlan{domain="vm1",device="vnet0",source="libvirt"} 10"#,
            #"kvmnet_vm_interface_vlan{domain="vm1",device="vnet0",source="pvid"} 10"#,
            #"kvmnet_vm_interface_vlan{domain="vm2",device="vnet1",source="libvirt"} 30"#,
            #"kvmnet_vm_interface_vlan{domain="vm2",device="vnet1",source="pvid"} 20"#,
            #"kvmnet_vm_interface_vlan{domain="vm3",device="vnet2",source="libvirt"} 20"#,
        ])
    }

    @Test func plainBridgeGivesItsOneVLANDeviceOnly() {
        var topo = Topology()
        for (i, (name, kind)) in [("brvlan-10", LinkKind.bridge), ("bond0.10", .vlan), ("vnet0", .tap),
                                  ("br2", .bridge), ("bond0.20", .vlan), ("bond0.30", .vlan), ("vnet1", .tap)].enumerated() {
            topo.links[name] = Link(name: name, index: i + 1, kind: kind, operState: .up)
        }
        topo.links["vnet0"]?.master = "brvlan-10"
        topo.links["vnet1"]?.master = "br2"
        topo.bridges["brvlan-10"] = Bridge(name: "brvlan-10", stpEnabled: false, ports: [port("bond0.10", nil), port("vnet0", nil)])
        // two VLAN devices on one plain bridge: which VLAN the VM is in cannot be told
        topo.bridges["br2"] = Bridge(name: "br2", stpEnabled: false, ports: [port("bond0.20", nil), port("bond0.30", nil), port("vnet1", nil)])
        topo.vlans["bond0.10"] = VLANDevice(name: "bond0.10", id: 10, parent: "bond0")
        topo.vlans["bond0.20"] = VLANDevice(name: "bond0.20", id: 20, parent: "bond0")
        topo.vlans["bond0.30"] = VLANDevice(name: "bond0.30", id: 30, parent: "bond0")
        let table = VMInterfaceTable([VMInterface(domain: "vm1", tap: "vnet0"), VMInterface(domain: "vm2", tap: "vnet1")])
        #expect(vlanSamples(table, topo) == [#"kvmnet_vm_interface_vlan{domain="vm1",device="vnet0",source="vlan_device"} 10"#])
    }
}

extension VMInterfaceCollectorTests {
    /// Issue 13's cardinality bound: 200 taps, each a 2-4094 trunk with a PVID and a libvirt
    /// trunk request, give two VLAN series per interface, not one per VLAN.
    @Test func vlanSeriesAreBoundedByInterfacesNotByTrunkWidth() {
        var topo = Topology()
        topo.links["br0"] = Link(name: "br0", index: 1, kind: .bridge, operState: .up)
        var br = Bridge(name: "br0", stpEnabled: false, vlanFiltering: true)
        var vms: [VMInterface] = []
        for i in 0..<200 {
            let tap = "tap\(i)"
            topo.links[tap] = Link(name: tap, index: 10 + i, kind: .tap, operState: .up, master: "br0")
            br.ports.append(port(tap, BridgeVLANSet(ranges: [.init(first: 2, last: 4094)], pvid: 100 + i % 7)))
            vms.append(VMInterface(domain: "vm\(i)", tap: tap, bridge: "br0",
                                   vlan: VMVLANRequest(tags: Array(2...4094), trunk: true, nativeTag: 100 + i % 7, nativeMode: .untagged)))
        }
        topo.bridges["br0"] = br
        let samples = vlanSamples(VMInterfaceTable(vms), topo)
        #expect(samples.count == 400)
        #expect(samples.contains(#"kvmnet_vm_interface_vlan{domain="vm8",device="tap8",source="pvid"} 101"#))
    }
}
