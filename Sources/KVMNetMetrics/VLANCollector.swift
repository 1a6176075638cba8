import KVMNetModel
import KVMNetState

/// 802.1Q VLAN devices and their parents.
public struct VLANCollector: Collector {
    public init() {}

    public func collect(_ snapshot: StateSnapshot) -> [MetricFamily] {
        var info = MetricFamily(name: "kvmnet_vlan_info", help: "A VLAN device, its VLAN id and parent device; value is always 1.", type: .gauge)
        for v in snapshot.topology.vlans.values where v.id > 0 {
            info.add([("device", v.name), ("vlan_id", String(v.id)), ("parent", v.parent)], 1)
        }
        return [info]
    }
}
