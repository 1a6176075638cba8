import KVMNetModel
import KVMNetState

/// Bond and bond-slave health, LACP state and failover counters.
public struct BondCollector: Collector {
    public init() {}

    public func collect(_ snapshot: StateSnapshot) -> [MetricFamily] {
        var info = MetricFamily(name: "kvmnet_bond_info", help: "Bond settings; value is always 1.", type: .gauge)
        var up = MetricFamily(name: "kvmnet_bond_up", help: "Whether the bond master has carrier (MII status up).", type: .gauge)
        var slaves = MetricFamily(name: "kvmnet_bond_slaves", help: "Number of slaves enslaved to the bond.", type: .gauge)
        var slavesUp = MetricFamily(name: "kvmnet_bond_slaves_up", help: "Number of the bond's slaves whose MII status is up.", type: .gauge)
        var active = MetricFamily(name: "kvmnet_bond_active_slave_info", help: "The slave currently carrying traffic (active-backup, balance-tlb, balance-alb); value is always 1.", type: .gauge)
        var mii = MetricFamily(name: "kvmnet_bond_mii_interval_seconds", help: "MII link monitoring interval (miimon); 0 means MII monitoring is off.", type: .gauge)
        var arp = MetricFamily(name: "kvmnet_bond_arp_interval_seconds", help: "ARP link monitoring interval; 0 means ARP monitoring is off.", type: .gauge)
        var minLinks = MetricFamily(name: "kvmnet_bond_min_links", help: "Minimum number of up slaves for the bond to assert carrier (min_links).", type: .gauge)
        var slaveUp = MetricFamily(name: "kvmnet_bond_slave_up", help: "Whether the slave's MII status is up.", type: .gauge)
        var slaveActive = MetricFamily(name: "kvmnet_bond_slave_active", help: "Whether the kernel reports the slave as active (1) or backup (0).", type: .gauge)
        var failures = MetricFamily(name: "kvmnet_bond_slave_link_failures_total", help: "Link failures of the slave, as counted by the kernel (Link Failure Count).", type: .counter)
        var speed = MetricFamily(name: "kvmnet_bond_slave_speed_bytes", help: "Link speed of the slave in bytes per second.", type: .gauge)
        var partner = MetricFamily(name: "kvmnet_bond_lacp_partner_present", help: "Whether an LACP partner answered on the active aggregator (partner MAC not 00:00:00:00:00:00).", type: .gauge)
        var aggPorts = MetricFamily(name: "kvmnet_bond_lacp_aggregator_ports", help: "Number of ports in the bond's active 802.3ad aggregator.", type: .gauge)
        var lacpInfo = MetricFamily(name: "kvmnet_bond_lacp_info", help: "The bond's active 802.3ad aggregator; value is always 1.", type: .gauge)
        var slaveAgg = MetricFamily(name: "kvmnet_bond_slave_lacp_aggregator_id", help: "802.3ad aggregator id the slave belongs to.", type: .gauge)
        var portState = MetricFamily(name: "kvmnet_bond_slave_lacp_port_state", help: "LACP port state byte of the slave (1 activity, 2 timeout, 4 aggregation, 8 synchronization, 16 collecting, 32 distributing, 64 defaulted, 128 expired); 63 is healthy.", type: .gauge)
        var churned = MetricFamily(name: "kvmnet_bond_slave_lacp_churned_total", help: "Times the kernel's churn machine declared the port churned (procfs only).", type: .counter)
        var failovers = MetricFamily(name: "kvmnet_bond_failovers_total", help: "Changes of the bond's active slave from one slave to another, counted as they happen.", type: .counter)
        var lastFailover = MetricFamily(name: "kvmnet_bond_last_failover_timestamp_seconds", help: "Unix time of the bond's last failover seen by this agent.", type: .gauge)
        var transitions = MetricFamily(name: "kvmnet_bond_slave_transitions_total", help: "MII up/down transitions of the slave, counted as they happen and reconciled with the kernel's link failure count.", type: .counter)

        let c = snapshot.counters
        for bond in snapshot.topology.bonds.values {
            let b = [("bond", bond.name)]
            info.add(b + [("mode", bond.mode.rawValue), ("xmit_hash_policy", bond.xmitHashPolicy ?? "")], 1)
            up.add(b, bond.miiUp)
            slaves.add(b, bond.slaves.count)
            slavesUp.add(b, bond.slavesUp)
            if bond.mode.hasActiveSlave, let a = bond.activeSlave { active.add(b + [("slave", a)], 1) }
            mii.add(b, Double(bond.miimonMs) / 1000)
            arp.add(b, Double(bond.arpIntervalMs) / 1000)
            if let m = bond.minLinks { minLinks.add(b, m) }
            failovers.add(b, c.failovers[bond.name] ?? 0)
            if let t = c.lastFailover[bond.name] { lastFailover.add(b, t) }
            if let lacp = bond.lacp, lacp.aggregatorVisible {
                let agg = lacp.activeAggregator
                partner.add(b, agg?.partnerPresent ?? false)
                aggPorts.add(b, agg?.ports ?? 0)
                if let agg {
                    lacpInfo.add(b + [("aggregator_id", String(agg.id)), ("partner_mac", agg.partnerMAC),
                                      ("actor_key", String(agg.actorKey)), ("partner_key", String(agg.partnerKey))], 1)
                }
            }
            for s in bond.slaves {
                let l = b + [("slave", s.name)]
                slaveUp.add(l, s.miiStatus.isUp)
                if let a = s.isActive { slaveActive.add(l, a) }
                failures.add(l, s.linkFailureCount)
                if let mbps = s.speedMbps { speed.add(l, .int(Int64(mbps) * 125_000)) }
                if let id = s.aggregatorID { slaveAgg.add(l, id) }
                if let st = s.actorPortState { portState.add(l + [("side", "actor")], Int(st)) }
                if let st = s.partnerPortState { portState.add(l + [("side", "partner")], Int(st)) }
                if let n = s.actorChurnedCount { churned.add(l + [("side", "actor")], n) }
                if let n = s.partnerChurnedCount { churned.add(l + [("side", "partner")], n) }
                for to in ["down", "up"] {
                    let k = EventCounters.SlaveTransition(bond: bond.name, slave: s.name, to: to)
                    transitions.add(l + [("to", to)], c.slaveTransitions[k] ?? 0)
                }
            }
        }
        return [info, up, slaves, slavesUp, active, mii, arp, minLinks, slaveUp, slaveActive, failures, speed,
                partner, aggPorts, lacpInfo, slaveAgg, portState, churned, failovers, lastFailover, transitions]
    }
}
