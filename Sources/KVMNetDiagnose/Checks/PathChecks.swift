import KVMNetModel
import KVMNetSources

/// Checks of the path between two endpoints (`diagnose A B`); the MTU check also runs
/// for `--external`.
enum PathChecks {
    static let all: [Check] = [vlanMismatch, differentBridges, subnetMismatch, mtuMismatch, uplinkDown]

    /// Both chains of a two-ended diagnosis.
    private static func ends(_ ctx: CheckContext) -> (PathAnalysis, Chain, Chain, SegmentRelation)? {
        guard let path = ctx.path, let to = path.to, let relation = path.relation else { return nil }
        return (path, path.from, to, relation)
    }

    private static func subject(_ a: Chain, _ b: Chain) -> String {
        "\(a.endpoint.query) -> \(b.endpoint.query)"
    }

    /// How sentences name an endpoint: its domain, else what was asked for.
    static func name(_ chain: Chain) -> String { chain.endpoint.domain ?? chain.endpoint.query }

    /// `VLAN 10` or `untagged`.
    private static func tagShort(_ chain: Chain) -> String {
        chain.tags.isEmpty ? "untagged" : "VLAN " + chain.tags.map(String.init).joined(separator: "/")
    }

    private static func tagText(_ chain: Chain) -> String {
        chain.tags.isEmpty ? "untagged (native VLAN)" : "in VLAN " + chain.tags.map(String.init).joined(separator: "/")
    }

    static let vlanMismatch = Check(
        id: "path.vlan_mismatch", family: .path, severity: .fail,
        title: "The two ends' bridges lead to different VLANs on the same bond or NIC",
        modes: [.path]
    ) { ctx in
        guard let (_, a, b, relation) = ends(ctx) else { return .skipped("needs two endpoints: diagnose A B") }
        guard relation == .vlanMismatch else { return .ran([]) }
        if let bridge = a.bridge, bridge == b.bridge, let br = ctx.topology.bridges[bridge] {
            return .ran([BridgeVLANChecks.sameBridgeMismatch(ctx, a, b, bridge: br)])
        }
        guard let trunk = a.trunk else { return .ran([]) }
        let an = name(a), bn = name(b)
        var evidence: [Evidence] = []
        for chain in [a, b] {
            if let bridge = chain.bridge {
                evidence.append(ctx.evidence.link(chain.endpoint.device, .master, bridge))
            }
            if let uplink = chain.uplink, ctx.topology.vlans[uplink] == nil {
                evidence.append(ctx.evidence.link(uplink, .master, chain.bridge ?? "?"))
            }
            for hop in chain.hops where hop.kind == .vlan {
                if let vlan = ctx.topology.vlans[hop.name] { evidence.append(ctx.evidence.vlan(vlan)) }
            }
        }
        let via: (Chain) -> String = { c in c.uplink ?? c.trunk ?? "?" }
        var explanation = "\(an) is \(tagText(a)) and \(bn) \(tagText(b)) on \(trunk), so they share no L2 segment. \(a.bridge ?? a.endpoint.device) leaves through \(via(a)) and \(b.bridge ?? b.endpoint.device) through \(via(b)); frames of one VLAN never reach the other inside the host."
        if let sa = ipv4(a), let sb = ipv4(b), sa.contains(sb.address) || sb.contains(sa.address) {
            explanation += " Both are in subnet \(sa.subnetDescription), so they ARP for each other directly and a router cannot help: they must be in one VLAN."
        } else {
            explanation += " Either put both in one VLAN, or route between the VLANs."
        }
        let target = b.endpoint
        let moveB = target.domain.map { d in
            "virsh edit \(q(d)) (<source bridge='\(a.bridge ?? "BRIDGE")'/>) and for the running VM: ip link set dev \(q(target.device)) master \(q(a.bridge ?? "BRIDGE"))"
        } ?? "ip link set dev \(q(target.device)) master \(q(a.bridge ?? "BRIDGE"))"
        return .ran([Finding(
            check: "path.vlan_mismatch", severity: .fail, subject: subject(a, b),
            explanation: explanation, evidence: evidence,
            fix: "to put \(bn) in \(an)'s VLAN: \(moveB); or have the router route between \(tagShort(a)) and \(tagShort(b))",
            devices: Array(a.devices.union(b.devices)).sorted())])
    }

    static let differentBridges = Check(
        id: "path.different_bridges", family: .path, severity: .fail,
        title: "The two ends sit on bridges that do not share a segment inside the host",
        modes: [.path]
    ) { ctx in
        guard let (_, a, b, relation) = ends(ctx) else { return .skipped("needs two endpoints: diagnose A B") }
        let an = name(a), bn = name(b)
        let evidence = [a, b].map { c in
            ctx.evidence.link(c.endpoint.device, .master, c.bridge ?? "(none)")
        }
        let moveFix = "put both on one bridge: ip link set dev \(q(b.endpoint.device)) master \(q(a.bridge ?? "BRIDGE"))\(b.endpoint.domain.map { " and virsh edit \(q($0)) (<source bridge='\(a.bridge ?? "BRIDGE")'/>)" } ?? "")"
        switch relation {
        case .isolated:
            let lonely = [a, b].filter { $0.bridge != nil && $0.trunk == nil }.compactMap(\.bridge)
            let bridges = ctx.sortedBridges.filter { lonely.contains($0.name) }
            return .ran([Finding(
                check: "path.different_bridges", severity: .fail, subject: subject(a, b),
                explanation: "\(an) is on \(a.bridge ?? "?") and \(bn) on \(b.bridge ?? "?"), and \(lonely.joined(separator: " and ")) \(lonely.count == 1 ? "has" : "have") no uplink, so \(lonely.count == 1 ? "its segment ends" : "their segments end") inside the host. No frame crosses between the two bridges.",
                evidence: evidence + bridges.map(ctx.evidence.bridgePorts),
                fix: moveFix, devices: Array(a.devices.union(b.devices)).sorted())])
        case .differentTrunks:
            return .ran([Finding(
                check: "path.different_bridges", severity: .warn, subject: subject(a, b),
                explanation: "\(an) is on \(a.bridge ?? "?"), which leaves through \(a.trunk ?? "?") (\(tagShort(a))), and \(bn) on \(b.bridge ?? "?"), which leaves through \(b.trunk ?? "?") (\(tagShort(b))). They meet only if the switch joins those ports in one VLAN, which the host cannot see.",
                evidence: evidence,
                fix: "check that the switch ports of \(a.trunk ?? "?") and \(b.trunk ?? "?") carry the same VLAN, or \(moveFix)",
                devices: Array(a.devices.union(b.devices)).sorted())])
        case .detached:
            // A VM's tap on no bridge is vm.tap_detached's finding; here only plain devices.
            let off = [a, b].filter { $0.bridge == nil && $0.trunk == nil && $0.endpoint.domain == nil }
            guard let first = off.first else { return .ran([]) }
            return .ran([Finding(
                check: "path.different_bridges", severity: .fail, subject: subject(a, b),
                explanation: "\(first.endpoint.query == first.endpoint.device ? first.endpoint.device : "\(first.endpoint.query) (\(first.endpoint.device))") is on no bridge and leads nowhere off the host, so it shares no segment with \(first == a ? bn : an).",
                evidence: [ctx.evidence.link(first.endpoint.device, .master, "(none)")],
                fix: "ip link set dev \(q(first.endpoint.device)) master \(q((first == a ? b : a).bridge ?? "BRIDGE"))",
                devices: Array(first.devices).sorted())])
        case .same, .sameBridge, .sameSegment, .vlanMismatch, .blocked:
            // .blocked: the bridge.* VLAN checks name the port that drops the frames.
            return .ran([])
        }
    }

    /// The first IPv4 address with prefix of a chain's endpoint.
    static func ipv4(_ chain: Chain) -> IPv4Interface? {
        chain.endpoint.addresses.lazy.compactMap { IPv4Interface($0) }.first
    }

    static let subnetMismatch = Check(
        id: "path.subnet_mismatch", family: .path, severity: .fail,
        title: "The two ends share a segment but not an IPv4 subnet",
        modes: [.path]
    ) { ctx in
        guard let (_, a, b, relation) = ends(ctx) else { return .skipped("needs two endpoints: diagnose A B") }
        let bare: (Chain) -> IPv4? = { c in
            c.endpoint.addresses.lazy.compactMap { IPv4(String($0.split(separator: "/").first ?? "")) }.first
        }
        guard let ipA = bare(a), let ipB = bare(b) else {
            return .skipped("needs both ends' IPv4 addresses: the VMs' addresses are not visible on the host; give them as IP addresses (diagnose 10.0.0.5 10.0.0.6)")
        }
        guard let prefix = ipv4(a)?.prefix ?? ipv4(b)?.prefix else {
            return .skipped("needs the prefix length of at least one end (e.g. 10.0.0.5/24)")
        }
        let netA = IPv4Interface(address: ipA, prefix: ipv4(a)?.prefix ?? prefix)
        let netB = IPv4Interface(address: ipB, prefix: ipv4(b)?.prefix ?? prefix)
        guard !(netA.contains(ipB) && netB.contains(ipA)), relation.sharesSegment else { return .ran([]) }
        let an = name(a), bn = name(b)
        return .ran([Finding(
            check: "path.subnet_mismatch", severity: .fail, subject: subject(a, b),
            explanation: "\(an) (\(netA)) and \(bn) (\(netB)) share an L2 segment but not a subnet (\(netA.subnetDescription) vs \(netB.subnetDescription)). Neither ARPs for the other; each sends to its gateway, and without a router on the segment nothing arrives.",
            evidence: [Evidence(source: "request", attribute: "address of \(an)", value: netA.description),
                       Evidence(source: "request", attribute: "address of \(bn)", value: netB.description)],
            fix: "give both addresses in one subnet (a typo in one VM's address or prefix is the usual cause), or route between \(netA.subnetDescription) and \(netB.subnetDescription)",
            devices: [a.endpoint.device, b.endpoint.device] + [a.endpoint.domain, b.endpoint.domain].compactMap { $0 })])
    }

    static let mtuMismatch = Check(
        id: "path.mtu_mismatch", family: .path, severity: .warn,
        title: "MTUs differ along the path (large frames are dropped)",
        modes: [.path, .external]
    ) { ctx in
        guard let path = ctx.path else { return .skipped("needs a path: diagnose A B or diagnose A --external") }
        var chains = [path.from]
        if let to = path.to { chains.append(to) }
        var seen = Set<String>()
        var mtus: [(String, Int)] = []
        let sameBridge = path.relation == .sameBridge || path.relation == .same
        for chain in chains {
            let hops = sameBridge ? chain.hops.filter { $0.kind.isAccess } : chain.hops
            for hop in hops where hop.kind != .host {
                for device in hop.devices where !seen.contains(device) {
                    seen.insert(device)
                    if let mtu = ctx.topology.links[device]?.mtu { mtus.append((device, mtu)) }
                }
            }
        }
        let endpointMTUs = chains.compactMap { c in ctx.topology.links[c.endpoint.device]?.mtu }
        guard let largest = endpointMTUs.max(), let smallest = mtus.min(by: { $0.1 < $1.1 }),
              Set(mtus.map(\.1)).count > 1, smallest.1 < largest else { return .ran([]) }
        let list = mtus.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
        return .ran([Finding(
            check: "path.mtu_mismatch", severity: .warn,
            subject: path.to.map { subject(path.from, $0) } ?? "\(path.from.endpoint.query) -> outside",
            explanation: "The MTU changes along the path (\(list)). Frames larger than \(smallest.1) bytes from a \(largest)-byte endpoint are dropped at \(smallest.0) without an ICMP error: small pings work, large transfers hang.",
            evidence: mtus.map { ctx.evidence.link($0.0, .mtu, String($0.1)) },
            fix: "raise the small MTU: ip link set dev \(q(smallest.0)) mtu \(largest) (MTU=\(largest) in ifcfg-\(smallest.0)), or lower the guests' MTU to \(smallest.1)",
            devices: mtus.map(\.0))])
    }

    static let uplinkDown = Check(
        id: "path.uplink_down", family: .path, severity: .fail,
        title: "The NIC (or other device) a path leaves the host through is down",
        modes: [.path, .external]
    ) { ctx in
        guard let path = ctx.path else { return .skipped("needs a path: diagnose A B or diagnose A --external") }
        // Two ends on one bridge never leave the host: what lies below does not matter.
        if path.relation == .sameBridge || path.relation == .same { return .ran([]) }
        var chains = [path.from]
        if let to = path.to { chains.append(to) }
        var seen = Set<String>()
        var findings: [Finding] = []
        for chain in chains {
            // Bonds have their own checks (bond.no_active_slave); VLAN devices theirs for
            // the parent (vlan.parent_down). This one covers the NIC the segment leaves by.
            for hop in chain.hops where hop.kind == .nic && !seen.contains(hop.name) {
                seen.insert(hop.name)
                guard let link = ctx.topology.links[hop.name], !link.isUp else { continue }
                let noCarrier = link.carrier == false || link.operState == .lowerlayerdown
                let adminDown = link.adminUp == false
                let why = adminDown
                    ? "it is administratively down"
                    : noCarrier ? "it has no carrier: the cable, the transceiver or the switch port facing it is down" : "its state is \(link.operState.rawValue)"
                var evidence = [ctx.evidence.link(hop.name, .operState, link.operState.rawValue)]
                if let c = link.carrier { evidence.append(ctx.evidence.link(hop.name, .carrier, c ? "1" : "0")) }
                findings.append(Finding(
                    check: "path.uplink_down", severity: .fail, subject: hop.name,
                    explanation: "\(chain.endpoint.displayName)'s frames leave the host through \(hop.name), which is down: \(why). Nothing reaches the outside that way.",
                    evidence: evidence,
                    fix: adminDown ? "ip link set dev \(q(hop.name)) up (ONBOOT=yes in ifcfg-\(hop.name))" : "check the cable and the switch port facing \(hop.name) (is it shut down, err-disabled, or in another VLAN?): ethtool \(q(hop.name)); ip link show \(q(hop.name))",
                    devices: [hop.name]))
            }
        }
        return .ran(findings)
    }
}
