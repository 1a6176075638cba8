import KVMNetModel
import KVMNetState

/// Bridges, their ports' STP state, FDB sizes per port and kind, VLANs reaching them,
/// and MAC moves.
public struct BridgeCollector: Collector {
    public init() {}

    public func collect(_ snapshot: StateSnapshot) -> [MetricFamily] {
        var ports = MetricFamily(name: "kvmnet_bridge_ports", help: "Number of ports enslaved to the bridge.", type: .gauge)
        var stp = MetricFamily(name: "kvmnet_bridge_stp_enabled", help: "Whether the bridge runs STP.", type: .gauge)
        var ageing = MetricFamily(name: "kvmnet_bridge_ageing_time_seconds", help: "How long the bridge keeps a learned MAC without traffic.", type: .gauge)
        var state = MetricFamily(name: "kvmnet_bridge_port_state", help: "STP state of the port, as the kernel numbers it: 0 disabled, 1 listening, 2 learning, 3 forwarding, 4 blocking.", type: .gauge)
        var fdb = MetricFamily(name: "kvmnet_bridge_fdb_entries", help: "Forwarding database entries of the bridge, by port and kind (learned, static, local).", type: .gauge)
        var vlan = MetricFamily(name: "kvmnet_bridge_vlan_info", help: "A VLAN that reaches the bridge: through a VLAN-device port, or, on a VLAN-aware bridge, as the PVID of one of its ports; value is always 1.", type: .gauge)
        var moves = MetricFamily(name: "kvmnet_bridge_fdb_moves_total", help: "Times a MAC+VLAN was learned on a different port than before (loops, duplicate MACs).", type: .counter)

        let topo = snapshot.topology
        for br in topo.bridges.values {
            let b = [("bridge", br.name)]
            ports.add(b, br.ports.count)
            stp.add(b, br.stpEnabled)
            if let a = br.ageingTimeSeconds { ageing.add(b, a) }
            for p in br.ports { state.add(b + [("port", p.name)], p.state.rawValue) }
            if let summary = br.fdb {
                for (k, n) in summary.counts { fdb.add(b + [("port", k.port), ("kind", k.kind.rawValue)], n) }
            }
            var reaching = Set(topo.vlansReaching(bridge: br.name).map(\.vlanID))
            if br.vlanAware { reaching.formUnion(br.ports.compactMap { $0.vlans?.pvid }) }
            for id in reaching {
                vlan.add(b + [("vlan_id", String(id))], 1)
            }
            if snapshot.fdbKnown { moves.add(b, snapshot.counters.fdbMoves[br.name] ?? 0) }
        }
        return [ports, stp, ageing, state, fdb, vlan, moves]
    }
}
