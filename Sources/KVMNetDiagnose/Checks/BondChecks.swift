import KVMNetModel

/// Checks of bonds: slaves, failover, link monitoring, LACP, switch requirements.
enum BondChecks {
    static let all: [Check] = [
        noActiveSlave, activeSlaveDown, degraded, noLinkMonitoring, lacpNoPartner,
        lacpAggregatorMismatch, modeNeedsSwitch, slaveSpeedMismatch, modeUnsuitedForBridge,
    ]

    static let noActiveSlave = Check(
        id: "bond.no_active_slave", family: .bond, severity: .fail,
        title: "A bond has no slave that can carry traffic"
    ) { ctx in
        .ran(ctx.sortedBonds.compactMap { bond in
            let slaves = bond.slaves.map(\.name).joined(separator: " ")
            if bond.slaves.isEmpty {
                return Finding(
                    check: "bond.no_active_slave", severity: .fail, subject: bond.name,
                    explanation: "\(bond.name) has no slaves. Nothing is enslaved to it, so nothing it carries leaves the host.",
                    evidence: [ctx.evidence.bond(bond.name, "Slave Interface", "(none)")],
                    fix: "enslave its NICs: ip link set dev NIC down && ip link set dev NIC master \(q(bond.name)) (MASTER=\(bond.name) SLAVE=yes in ifcfg-NIC)",
                    devices: [bond.name])
            }
            let slaveStates = bond.slaves.map {
                ctx.evidence.bond(bond.name, "MII Status", $0.miiStatus.rawValue, slave: $0.name)
            }
            if bond.mode.hasActiveSlave, bond.activeSlave == nil {
                return Finding(
                    check: "bond.no_active_slave", severity: .fail, subject: bond.name,
                    explanation: "\(bond.name) has no active slave. In \(bond.mode.rawValue) mode only the active slave carries traffic, and the kernel names none: every slave (\(slaves)) is down or the bond was never brought up.",
                    evidence: [ctx.evidence.bond(bond.name, "Currently Active Slave", "None")] + slaveStates,
                    fix: "bring a slave's link up (cable, switch port): ip link show \(slaves); ip link set dev \(q(bond.name)) up",
                    devices: [bond.name] + bond.slaves.map(\.name))
            }
            if !bond.mode.hasActiveSlave, bond.slavesUp == 0 {
                return Finding(
                    check: "bond.no_active_slave", severity: .fail, subject: bond.name,
                    explanation: "\(bond.name) has no slave up. All of \(slaves) report MII status down, so the bond carries nothing.",
                    evidence: slaveStates,
                    fix: "check the slaves' cables and switch ports: ip link show \(slaves); ethtool SLAVE",
                    devices: [bond.name] + bond.slaves.map(\.name))
            }
            return nil
        })
    }

    static let activeSlaveDown = Check(
        id: "bond.active_slave_down", family: .bond, severity: .fail,
        title: "The slave a bond transmits on is down"
    ) { ctx in
        .ran(ctx.sortedBonds.compactMap { bond in
            guard let active = bond.activeSlave, let slave = bond.slave(named: active) else { return nil }
            let linkDown = ctx.topology.links[active].map { !$0.isUp && $0.operState != .unknown } ?? false
            guard !slave.miiStatus.isUp || linkDown else { return nil }
            let others = bond.slaves.filter { $0.name != active && $0.miiStatus.isUp }.map(\.name)
            var evidence = [ctx.evidence.bond(bond.name, "Currently Active Slave", active),
                            ctx.evidence.bond(bond.name, "MII Status", slave.miiStatus.rawValue, slave: active)]
            if let link = ctx.topology.links[active] {
                evidence.append(ctx.evidence.link(active, .operState, link.operState.rawValue))
            }
            let fix = others.first.map {
                "make an up slave active: ip link set dev \(q(bond.name)) type bond active_slave \(q($0)); then repair \(active)'s link"
            } ?? "repair \(active)'s link (cable, switch port, ethtool \(q(active))); no other slave is up"
            return Finding(
                check: "bond.active_slave_down", severity: .fail, subject: bond.name,
                explanation: "\(bond.name) transmits on \(active), which is down. The bond has not failed over\(others.isEmpty ? " and has no other slave up" : " although \(others.joined(separator: ", ")) is up (check miimon/arp_interval and primary_reselect)"), so its traffic is lost.",
                evidence: evidence, fix: fix, devices: [bond.name, active])
        })
    }

    static let degraded = Check(
        id: "bond.degraded", family: .bond, severity: .warn,
        title: "Some but not all slaves of a bond are down"
    ) { ctx in
        .ran(ctx.sortedBonds.compactMap { bond in
            let down = bond.slaves.filter { !$0.miiStatus.isUp }
            guard bond.slaves.count >= 2, !down.isEmpty, down.count < bond.slaves.count else { return nil }
            let names = down.map(\.name)
            return Finding(
                check: "bond.degraded", severity: .warn, subject: bond.name,
                explanation: "\(bond.name) is degraded: \(names.joined(separator: ", ")) \(names.count == 1 ? "is" : "are") down (\(bond.slavesUp) of \(bond.slaves.count) slaves up). Traffic still flows, but the next failure cuts it off.",
                evidence: down.map { ctx.evidence.bond(bond.name, "MII Status", $0.miiStatus.rawValue, slave: $0.name) },
                fix: "check the cable and switch port of \(names.joined(separator: ", ")): ethtool \(q(names[0])); ip link set dev \(q(names[0])) up",
                devices: [bond.name] + names)
        })
    }

    static let noLinkMonitoring = Check(
        id: "bond.no_link_monitoring", family: .bond, severity: .warn,
        title: "A bond watches neither MII nor ARP (miimon and arp_interval both 0)"
    ) { ctx in
        .ran(ctx.sortedBonds.compactMap { bond in
            guard bond.miimonMs == 0, bond.arpIntervalMs == 0 else { return nil }
            return Finding(
                check: "bond.no_link_monitoring", severity: .warn, subject: bond.name,
                explanation: "\(bond.name) has no link monitoring: miimon and arp_interval are both 0. The bond never notices a dead slave and keeps sending into it.",
                evidence: [ctx.evidence.bond(bond.name, "MII Polling Interval (ms)", "0"),
                           ctx.evidence.bond(bond.name, "ARP Polling Interval (ms)", "0")],
                fix: "ip link set dev \(q(bond.name)) type bond miimon 100; persist it: BONDING_OPTS=\"mode=\(bond.mode.rawValue) miimon=100\" in ifcfg-\(bond.name)",
                devices: [bond.name])
        })
    }

    static let lacpNoPartner = Check(
        id: "bond.lacp_no_partner", family: .bond, severity: .fail,
        title: "An 802.3ad bond has no LACP partner (partner MAC zero)"
    ) { ctx in
        var findings: [Finding] = []
        var hidden: [String] = []
        for bond in ctx.sortedBonds where bond.mode == .ieee8023ad && !bond.slaves.isEmpty {
            guard let lacp = bond.lacp, let aggregator = lacp.activeAggregator else {
                if bond.lacp?.aggregatorVisible == false || !ctx.snapshot.runningAsRoot {
                    hidden.append(bond.name)
                    continue
                }
                findings.append(Finding(
                    check: "bond.lacp_no_partner", severity: .fail, subject: bond.name,
                    explanation: "\(bond.name) (802.3ad) has no active aggregator, so no LACP negotiation succeeded. The switch ports of \(bond.slaves.map(\.name).joined(separator: ", ")) are not an LACP port-channel.",
                    evidence: [ctx.evidence.bond(bond.name, "bond \(bond.name) has no active aggregator", "no active aggregator")],
                    fix: lacpFix(bond), devices: [bond.name]))
                continue
            }
            guard !aggregator.partnerPresent else { continue }
            findings.append(Finding(
                check: "bond.lacp_no_partner", severity: .fail, subject: bond.name,
                explanation: "\(bond.name) (802.3ad) has no LACP partner: the partner MAC is \(aggregator.partnerMAC). The switch ports are not configured as an LACP port-channel, so the bond cannot aggregate and may send on a port the switch does not expect.",
                evidence: [ctx.evidence.bond(bond.name, "Partner Mac Address", aggregator.partnerMAC),
                           ctx.evidence.bond(bond.name, "Number of ports", String(aggregator.ports))],
                fix: lacpFix(bond), devices: [bond.name] + bond.slaves.map(\.name)))
        }
        if findings.isEmpty, !hidden.isEmpty {
            return .skipped("needs root: /proc/net/bonding shows the 802.3ad partner only to CAP_NET_ADMIN (bonds: \(hidden.joined(separator: ", ")))")
        }
        return .ran(findings)
    }

    private static func lacpFix(_ bond: Bond) -> String {
        "configure the switch ports of \(bond.slaves.map(\.name).joined(separator: ", ")) as one LACP port-channel (mode active), or switch the bond to active-backup: BONDING_OPTS=\"mode=active-backup miimon=100\" in ifcfg-\(bond.name)"
    }

    static let lacpAggregatorMismatch = Check(
        id: "bond.lacp_aggregator_mismatch", family: .bond, severity: .warn,
        title: "Slaves of an 802.3ad bond sit in different aggregators"
    ) { ctx in
        .ran(ctx.sortedBonds.compactMap { bond in
            guard bond.mode == .ieee8023ad else { return nil }
            let up = bond.slaves.filter { $0.miiStatus.isUp && $0.aggregatorID != nil }
            let activeID = bond.lacp?.activeAggregator?.id
            let outside: [BondSlave]
            if let activeID {
                outside = up.filter { $0.aggregatorID != activeID }
            } else {
                let ids = Set(up.compactMap(\.aggregatorID))
                outside = ids.count > 1 ? up : []
            }
            guard !outside.isEmpty else { return nil }
            var evidence = outside.map {
                ctx.evidence.bond(bond.name, "Aggregator ID", String($0.aggregatorID ?? 0), slave: $0.name)
            }
            if let activeID { evidence.insert(ctx.evidence.bond(bond.name, "Aggregator ID", String(activeID)), at: 0) }
            let names = outside.map(\.name).joined(separator: ", ")
            let what = activeID.map { "while \(bond.name) transmits on aggregator \($0), so they carry no traffic" }
                ?? "so only one group carries traffic"
            return Finding(
                check: "bond.lacp_aggregator_mismatch", severity: .warn, subject: bond.name,
                explanation: "\(bond.name) has slaves in different aggregators: \(names) \(what). Their switch ports are in another port-channel, on another switch without MLAG, or run at another speed.",
                evidence: evidence,
                fix: "put the switch ports of all of \(bond.slaves.map(\.name).joined(separator: ", ")) in one LACP port-channel (same switch or MLAG pair, same speed)",
                devices: [bond.name] + outside.map(\.name))
        })
    }

    static let modeNeedsSwitch = Check(
        id: "bond.mode_needs_switch", family: .bond, severity: .warn,
        title: "A bond mode needs static aggregation on the switch (balance-rr, balance-xor, broadcast)"
    ) { ctx in
        .ran(ctx.sortedBonds.compactMap { bond in
            guard bond.mode.needsStaticSwitchAggregation, bond.slaves.count >= 2 else { return nil }
            return Finding(
                check: "bond.mode_needs_switch", severity: .warn, subject: bond.name,
                explanation: "\(bond.name) runs \(bond.mode.rawValue), which needs a static port-channel (EtherChannel mode on) on the switch; the host cannot verify that it exists. Without it the switch sees the bond's MAC move between ports and drops or loops frames.",
                evidence: [ctx.evidence.bond(bond.name, "Bonding Mode", bond.mode.rawValue)],
                fix: "configure a static port-channel for \(bond.slaves.map(\.name).joined(separator: ", ")) on the switch, or use 802.3ad (with LACP on the switch) or active-backup: BONDING_OPTS=\"mode=active-backup miimon=100\"",
                devices: [bond.name])
        })
    }

    static let slaveSpeedMismatch = Check(
        id: "bond.slave_speed_mismatch", family: .bond, severity: .warn,
        title: "The up slaves of a bond run at different speeds"
    ) { ctx in
        .ran(ctx.sortedBonds.compactMap { bond in
            let speeds: [(String, Int)] = bond.slaves.filter { $0.miiStatus.isUp }.compactMap { slave in
                (slave.speedMbps ?? ctx.topology.links[slave.name]?.speedMbps).map { (slave.name, $0) }
            }
            guard Set(speeds.map(\.1)).count > 1 else { return nil }
            let slowest = speeds.min { $0.1 < $1.1 }
            let list = speeds.map { "\($0.0) \($0.1) Mb/s" }.joined(separator: ", ")
            let consequence = bond.mode == .ieee8023ad
                ? "In 802.3ad only ports of one speed aggregate, so the slower ones sit idle."
                : "Flows hashed or failed over to the slower slave get less bandwidth."
            return Finding(
                check: "bond.slave_speed_mismatch", severity: .warn, subject: bond.name,
                explanation: "\(bond.name)'s slaves run at different speeds: \(list). \(consequence)",
                evidence: speeds.map { ctx.evidence.bond(bond.name, "Speed", "\($0.1) Mbps", slave: $0.0) },
                fix: "check the slower link (cable, SFP, switch port speed): ethtool \(q(slowest?.0 ?? bond.name))",
                devices: [bond.name] + speeds.map(\.0))
        })
    }

    /// Bonds below a bridge with guests, directly or through VLAN devices and further
    /// bridges, with the bridges they carry: the way down of every guest port, as the path
    /// tracer walks it.
    static func bondsCarryingGuests(_ ctx: CheckContext) -> [String: Set<String>] {
        let tracer = PathTracer(snapshot: ctx.snapshot)
        var out: [String: Set<String>] = [:]
        for bridge in ctx.sortedBridges {
            guard let guest = bridge.ports.map(\.name).sorted().first(where: { !ctx.isUplink($0) }) else { continue }
            for chain in tracer.chains(from: Endpoint(query: guest, device: guest)) {
                guard let trunk = chain.trunk, ctx.topology.bonds[trunk] != nil else { continue }
                out[trunk, default: []].formUnion(chain.hops.filter { $0.kind == .bridge }.map(\.name))
            }
        }
        return out
    }

    static let modeUnsuitedForBridge = Check(
        id: "bond.mode_unsuited_for_bridge", family: .bond, severity: .warn,
        title: "A bond under a bridge with VMs runs a mode (or ARP monitoring) that bridged guests do not work with"
    ) { ctx in
        let carried = bondsCarryingGuests(ctx)
        return .ran(ctx.sortedBonds.compactMap { bond -> Finding? in
            guard let bridges = carried[bond.name] else { return nil }
            let unsuited: Set<BondMode> = [.balanceRR, .broadcast, .balanceTLB, .balanceALB]
            let badMode = unsuited.contains(bond.mode)
            let arp = bond.arpIntervalMs > 0
            guard badMode || arp else { return nil }
            let list = bridges.sorted().joined(separator: ", ")
            var why: [String] = []
            if badMode {
                let effect: String
                switch bond.mode {
                case .balanceTLB, .balanceALB:
                    effect = "it balances by rewriting source MACs and ARP replies for the host's own addresses only, so guests' frames and replies to them go out and come back on different slaves, and the switch learns the guests' MACs on changing ports"
                case .balanceRR:
                    effect = "it sprays each guest's frames over all slaves, so the switch sees the guests' MACs move between ports (and reorders packets) unless a static port-channel joins them"
                default:
                    effect = "it sends every frame on every slave, so the switch and the bridge see each guest's frames several times"
                }
                why.append("\(bond.name) runs \(bond.mode.rawValue) (mode \(bond.mode.kernelValue.map(String.init) ?? "?")): \(effect)")
            }
            if arp {
                why.append("ARP monitoring (arp_interval \(bond.arpIntervalMs) ms) judges the slaves by ARP replies, which the bridge above the bond takes for its guests, so slaves are marked down or up wrongly")
            }
            let evidence = (badMode ? [ctx.evidence.bond(bond.name, "Bonding Mode", bond.mode.rawValue)] : [])
                + (arp ? [ctx.evidence.bond(bond.name, "ARP Polling Interval (ms)", String(bond.arpIntervalMs))] : [])
            return Finding(
                check: "bond.mode_unsuited_for_bridge", severity: .warn, subject: bond.name,
                explanation: "\(bond.name) carries the bridge\(bridges.count == 1 ? "" : "s") \(list) with VMs, but \(why.joined(separator: "; and ")). Red Hat's virtualization guides support only modes 1 (active-backup), 2 (balance-xor) and 4 (802.3ad) for bridged guests, with MII monitoring.",
                evidence: evidence,
                fix: "BONDING_OPTS=\"mode=active-backup miimon=100\" (or mode=802.3ad with LACP on the switch) in ifcfg-\(bond.name); at run time: ip link set dev \(q(bond.name)) down && ip link set dev \(q(bond.name)) type bond mode active-backup miimon 100 arp_interval 0 && ip link set dev \(q(bond.name)) up",
                devices: [bond.name] + bond.slaves.map(\.name))
        })
    }
}
