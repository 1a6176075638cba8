import KVMNetModel
import KVMNetState

/// Every link's state, carrier changes, MTU and operational-state transitions.
public struct LinkCollector: Collector {
    public init() {}

    public func collect(_ snapshot: StateSnapshot) -> [MetricFamily] {
        var info = MetricFamily(name: "kvmnet_link_info", help: "A link, its kind and its master (empty when none); value is always 1.", type: .gauge)
        var up = MetricFamily(name: "kvmnet_link_up", help: "Whether the link is operationally up.", type: .gauge)
        var carrierChanges = MetricFamily(name: "kvmnet_link_carrier_changes_total", help: "Carrier changes of the link, as counted by the kernel.", type: .counter)
        var mtu = MetricFamily(name: "kvmnet_link_mtu_bytes", help: "MTU of the link.", type: .gauge)
        var speed = MetricFamily(name: "kvmnet_link_speed_bytes", help: "Link speed in bytes per second, where the driver reports one.", type: .gauge)
        var transitions = MetricFamily(name: "kvmnet_link_transitions_total", help: "Operational-state transitions of the link, counted as they happen, by the new state.", type: .counter)

        let c = snapshot.counters
        var transitionsByDevice: [String: [(String, UInt64)]] = [:]
        for (k, v) in c.linkTransitions { transitionsByDevice[k.device, default: []].append((k.to, v)) }

        // In name order: the samples then come out sorted and the renderer need not sort them.
        for link in snapshot.topology.sortedLinks where link.kind != .loopback {
            let d = [("device", link.name)]
            info.add(d + [("kind", link.kind.rawValue), ("master", link.master ?? "")], 1)
            up.add(d + [("kind", link.kind.rawValue)], link.isUp)
            if let n = link.carrierChanges { carrierChanges.add(d, n) }
            if let m = link.mtu { mtu.add(d, m) }
            if let s = link.speedMbps { speed.add(d, .int(Int64(s) * 125_000)) }
            var seen: [String: UInt64] = ["down": 0, "up": 0]
            for (to, v) in transitionsByDevice[link.name] ?? [] { seen[to] = v }
            for (to, v) in seen.sorted(by: { $0.key < $1.key }) { transitions.add(d + [("to", to)], v) }
        }
        return [info, up, carrierChanges, mtu, speed, transitions]
    }
}
