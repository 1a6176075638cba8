import KVMNetDiagnose
import KVMNetModel

/// VLAN-aware bridges in a ``HostBuilder``: the bridge's flag and protocol, and each
/// port's `bridge vlan` rows.
extension HostBuilder {
    /// Turns `bridge` into a VLAN-aware one; its own port gets `selfVLANs`.
    mutating func vlanAware(_ bridge: String, proto: VLANProtocol = .dot1Q, selfVLANs: BridgeVLANSet? = nil) {
        topology.bridges[bridge]?.vlanFiltering = true
        topology.bridges[bridge]?.vlanProtocol = proto
        topology.bridges[bridge]?.defaultPVID = 1
        topology.bridges[bridge]?.vlans = selfVLANs ?? BridgeVLANSet(ranges: [.init(vid: 1, untagged: true)], pvid: 1)
    }

    /// Sets the VLAN rows of `port` on `bridge`.
    mutating func portVLANs(_ bridge: String, _ port: String, _ set: BridgeVLANSet) {
        guard let i = topology.bridges[bridge]?.ports.firstIndex(where: { $0.name == port }) else {
            fatalError("\(port) is not a port of \(bridge)")
        }
        topology.bridges[bridge]?.ports[i].vlans = set
    }

    /// An access port: PVID `vid`, untagged.
    static func access(_ vid: Int) -> BridgeVLANSet { BridgeVLANSet(ranges: [.init(vid: vid, untagged: true)], pvid: vid) }

    /// A trunk: `vids` tagged, no PVID.
    static func trunk(_ vids: ClosedRange<Int>...) -> BridgeVLANSet {
        BridgeVLANSet(ranges: vids.map { .init(first: $0.lowerBound, last: $0.upperBound) })
    }

    /// The issue-13 layout: br0 (VLAN-aware) over an active-backup bond0 that allows only
    /// VLAN 10; vm1 (PVID 10), vm2 (PVID 20), vm3 (PVID 10).
    static func vlanAwareLayout() -> HostBuilder {
        var host = HostBuilder()
        host.sources = [.netlink, .procfs]
        host.bond("bond0", slaves: ["ens1f0", "ens1f1"])
        host.bridge("br0", ports: ["bond0"])
        host.vm("vm1", tap: "vnet0", bridge: "br0", mac: "52:54:00:00:00:01")
        host.vm("vm2", tap: "vnet1", bridge: "br0", mac: "52:54:00:00:00:02")
        host.vm("vm3", tap: "vnet2", bridge: "br0", mac: "52:54:00:00:00:03")
        host.vlanAware("br0")
        host.portVLANs("br0", "bond0", trunk(10...10))
        host.portVLANs("br0", "vnet0", access(10))
        host.portVLANs("br0", "vnet1", access(20))
        host.portVLANs("br0", "vnet2", access(10))
        return host
    }
}
