import KVMNetModel

/// Both traced halves of a path across hosts, for the checks that join them.
struct CrossHostContext {
    let a: TracedHalf
    let b: TracedHalf

    /// Each half with the other.
    var pairs: [(here: TracedHalf, there: TracedHalf)] { [(a, b), (b, a)] }
}

/// A check on both halves of a path across hosts (docs/checks.md, `crosshost.*`).
struct CrossHostCheck: Sendable {
    let id: String
    let severity: Severity
    let title: String
    let body: @Sendable (CrossHostContext) -> CheckResult

    func run(_ ctx: CrossHostContext) -> CheckResult { body(ctx) }
}

/// Where a host holds the other end's MAC, as the join reads the FDB lookup.
enum Learned {
    /// On the port the half leaves its bridge by, in the half's VLAN: frames from the
    /// other end arrive.
    case onUplink(FDBLocation)
    /// On the half's bridge, but on another port or in another VLAN.
    case elsewhere(FDBLocation)
    /// Not on the half's bridge at all.
    case nowhere
    /// Not known: no lookup, no MAC, an FDB the agent has not read, or a half that never
    /// leaves its host.
    case unknown(String)
}

enum CrossHostChecks {
    static let all: [CrossHostCheck] = [notLeavingHost, wireVLANMismatch, macElsewhere, switchNotForwarding, mtuMismatch]

    static func subject(_ ctx: CrossHostContext) -> String {
        "\(ctx.a.name)@\(ctx.a.host) -> \(ctx.b.name)@\(ctx.b.host)"
    }

    static func wireText(_ tags: [Int]) -> String {
        tags.isEmpty ? "untagged" : tags.count == 1 ? "tagged VLAN \(tags[0])" : "tagged \(tags.reversed().map(String.init).joined(separator: "/")) (outer first)"
    }

    /// Where `here` holds `there`'s endpoint MAC.
    static func learned(_ here: TracedHalf, of there: TracedHalf) -> Learned {
        guard let chain = here.chain, let bridge = chain.bridge, let uplink = chain.uplink else {
            return .unknown("\(here.name)'s segment does not leave \(here.host)")
        }
        guard let mac = there.endpoint.mac.map(MACAddress.normalize) else {
            return .unknown("\(there.name) has no known MAC")
        }
        guard let fdb = here.half.fdb else { return .unknown(here.half.fdbUnavailable ?? "no FDB lookup on \(here.host)") }
        guard fdb.known else { return .unknown("the agent on \(here.host) has not read its FDB") }
        let vlan = chain.bridgeVLAN ?? 0
        let mine = fdb.entries.filter { $0.mac == mac && $0.bridge == bridge }
        if let hit = mine.first(where: { $0.port == uplink && $0.vlan == vlan }) { return .onUplink(hit) }
        if let other = mine.first(where: { $0.kind == .learned }) ?? mine.first { return .elsewhere(other) }
        return .nowhere
    }

    /// `, last frame 3.2 s ago` when the agent told the entry's age (learned entries of an
    /// agent that has ages); empty otherwise.
    static func lastFrame(_ e: FDBLocation) -> String {
        guard let age = e.ageSeconds, age.isFinite, age >= 0 else { return "" }
        if age >= 60 { return ", last frame \(Int(age.rounded())) s ago" }
        let tenths = Int((age * 10).rounded())
        return ", last frame \(tenths / 10).\(tenths % 10) s ago"
    }

    static func fdbEvidence(_ here: TracedHalf, of there: TracedHalf, _ learned: Learned) -> Evidence {
        let mac = there.endpoint.mac ?? "?"
        let attribute = "\(here.host) FDB of \(here.chain?.bridge ?? "?"), MAC \(mac) (\(there.name))"
        let value: String
        switch learned {
        case .onUplink(let e), .elsewhere(let e): value = "\(e.kind.rawValue) on \(e.port)\(e.vlan > 0 ? " vlan \(e.vlan)" : "")\(lastFrame(e))"
        case .nowhere: value = "not learned"
        case .unknown(let why): value = "unknown: \(why)"
        }
        return Evidence(source: "agent", file: here.half.source.replacing("/snapshot", with: "/fdb"), attribute: attribute, value: value)
    }

    static func wireEvidence(_ h: TracedHalf) -> Evidence {
        Evidence(source: "model", attribute: "\(h.host): \(h.name)'s frames leave through \(h.chain?.trunk ?? "nothing")",
                 value: wireText(h.chain?.tags ?? []))
    }

    /// A half that never leaves its host, when its own checks did not already fail.
    static let notLeavingHost = CrossHostCheck(
        id: "crosshost.not_leaving_host", severity: .fail,
        title: "One end's segment never leaves its host"
    ) { ctx in
        .ran(ctx.pairs.compactMap { here, there in
            guard here.chain?.trunk == nil, !here.failed else { return nil }
            let bridge = here.chain?.bridge
            return Finding(
                check: "crosshost.not_leaving_host", severity: .fail, subject: "\(here.name)@\(here.host)",
                explanation: "\(here.name)'s segment ends on \(here.host): \(bridge.map { "its bridge \($0) has no uplink" } ?? "it is on no bridge"), so its frames never reach \(there.host), where \(there.name) runs.",
                evidence: [wireEvidence(here)],
                fix: bridge.map { "add \(here.host)'s uplink to \($0) (ip link set dev NIC master \(q($0)), and in the host's network configuration)" } ?? "attach \(here.name) to the bridge of its network",
                devices: [here.endpoint.device] + (bridge.map { [$0] } ?? []), host: here.host)
        })
    }

    /// The tags each half's frames leave with.
    static let wireVLANMismatch = CrossHostCheck(
        id: "crosshost.wire_vlan_mismatch", severity: .fail,
        title: "The two ends' frames leave their hosts in different VLANs"
    ) { ctx in
        guard let ca = ctx.a.chain, let cb = ctx.b.chain, ca.trunk != nil, cb.trunk != nil else {
            return .skipped("needs both halves to leave their hosts")
        }
        guard ca.tags != cb.tags else { return .ran([]) }
        let oneUntagged = ca.tags.isEmpty || cb.tags.isEmpty
        let text = "\(ctx.a.name) leaves \(ctx.a.host) on \(ca.trunk!) \(wireText(ca.tags)), \(ctx.b.name) leaves \(ctx.b.host) on \(cb.trunk!) \(wireText(cb.tags))"
        return .ran([Finding(
            check: "crosshost.wire_vlan_mismatch", severity: oneUntagged ? .warn : .fail, subject: subject(ctx),
            explanation: oneUntagged
                ? "\(text). They meet only if the switch port facing the untagged side is an access port of that VLAN; the hosts cannot see the switch's configuration."
                : "\(text): different VLANs on the wire. A switch does not forward between VLANs, so their frames never meet.",
            evidence: [wireEvidence(ctx.a), wireEvidence(ctx.b)],
            fix: oneUntagged
                ? "check the switch port facing the untagged host's \((ca.tags.isEmpty ? ca : cb).trunk!): access VLAN \((ca.tags + cb.tags)[0])?"
                : "put both VMs in one VLAN: the VLAN of \(ctx.a.name)'s or \(ctx.b.name)'s bridge or port is wrong (kvmnet-diag diagnose on each host shows which)",
            devices: [ca.trunk!, cb.trunk!])])
    }

    /// The other end's MAC on a port of this half's bridge that is not its uplink.
    static let macElsewhere = CrossHostCheck(
        id: "crosshost.mac_elsewhere", severity: .fail,
        title: "A host holds the other end's MAC on a port that does not lead to it"
    ) { ctx in
        .ran(ctx.pairs.compactMap { here, there in
            guard case .elsewhere(let e) = learned(here, of: there) else { return nil }
            let wrongVLAN = e.port == here.chain?.uplink
            return Finding(
                check: "crosshost.mac_elsewhere", severity: .fail, subject: "\(there.endpoint.mac ?? there.name)@\(here.host)",
                explanation: wrongVLAN
                    ? "\(here.host) learned \(there.name)'s MAC \(e.mac) on its uplink \(e.port) in VLAN \(e.vlan)\(lastFrame(e)), not in VLAN \(here.chain?.bridgeVLAN ?? 0), the VLAN of \(here.name): the two ends are in different VLANs."
                    : "\(here.host) holds \(there.name)'s MAC \(e.mac) on \(e.port) of \(e.bridge)\(lastFrame(e)), which is not its uplink \(here.chain?.uplink ?? "?"): frames to \(there.name) go to \(e.port), not to \(there.host). A second device with the same MAC (a cloned VM) or a static entry is the usual cause.",
                evidence: [fdbEvidence(here, of: there, .elsewhere(e)), wireEvidence(here)],
                fix: wrongVLAN ? "put both ends in one VLAN" : "find the device with MAC \(e.mac) on \(here.host) (bridge fdb show br \(q(e.bridge)) | grep -i \(e.mac)); give the clone a new MAC, or remove the static entry",
                devices: [e.port, e.bridge], host: here.host)
        })
    }

    /// Neither (or only one) host learned the other end's MAC on its uplink.
    static let switchNotForwarding = CrossHostCheck(
        id: "crosshost.switch_not_forwarding", severity: .fail,
        title: "A host has not learned the other end's MAC on its uplink: the network between the hosts drops the frames"
    ) { ctx in
        let (a, b) = (ctx.a, ctx.b)
        if a.failed || b.failed {
            return .skipped("a half fails on its own host: that explains missing MACs")
        }
        if let ca = a.chain, let cb = b.chain, !ca.tags.isEmpty, !cb.tags.isEmpty, ca.tags != cb.tags {
            return .skipped("the ends are in different VLANs on the wire (crosshost.wire_vlan_mismatch)")
        }
        let atA = learned(a, of: b), atB = learned(b, of: a)
        if case .unknown(let why) = atA { return .skipped(why) }
        if case .unknown(let why) = atB { return .skipped(why) }
        if case .elsewhere = atA { return .ran([]) }   // crosshost.mac_elsewhere says it
        if case .elsewhere = atB { return .ran([]) }
        let evidence = [wireEvidence(a), wireEvidence(b), fdbEvidence(a, of: b, atA), fdbEvidence(b, of: a, atB)]
        let vlan = a.chain?.tags.isEmpty == false ? "VLAN \(a.chain!.outerTag!)" : "untagged frames"
        let leaves = "\(vlan == "untagged frames" ? "Untagged frames leave" : "\(vlan) leaves") \(a.host) on \(a.chain?.trunk ?? "?") and \(b.host) on \(b.chain?.trunk ?? "?")"
        let devices = [a.chain?.trunk, b.chain?.trunk].compactMap { $0 }
        switch (atA, atB) {
        case (.nowhere, .nowhere):
            return .ran([Finding(
                check: "crosshost.switch_not_forwarding", severity: .fail, subject: subject(ctx),
                explanation: "\(leaves)\(vlan == "untagged frames" ? "" : " tagged"); neither host has learned the other's MAC in \(vlan == "untagged frames" ? "that segment" : vlan): the switch ports facing them do not carry \(vlan == "untagged frames" ? "their frames" : vlan) between them. Both halves are healthy on their hosts.",
                evidence: evidence,
                fix: "on the switch: the ports facing \(a.host)'s \(a.chain?.trunk ?? "uplink") and \(b.host)'s \(b.chain?.trunk ?? "uplink") must carry \(vlan == "untagged frames" ? "the same access VLAN" : "\(vlan) (allowed on both trunks)") and be in one L2 domain. (If the two VMs have not sent anything for longer than the bridges' ageing time, ping once and run this again: entries age out.)",
                devices: devices)])
        case (.onUplink, .nowhere), (.nowhere, .onUplink):
            let (rx, tx): (TracedHalf, TracedHalf) = { if case .onUplink = atA { return (a, b) } else { return (b, a) } }()
            let seen: String = { if case .onUplink(let e) = atA { return lastFrame(e) } else if case .onUplink(let e) = atB { return lastFrame(e) } else { return "" } }()
            return .ran([Finding(
                check: "crosshost.switch_not_forwarding", severity: .fail, subject: subject(ctx),
                explanation: "\(leaves). Frames from \(tx.name) reach \(rx.host) (it learned \(tx.name)'s MAC on \(rx.chain?.uplink ?? "its uplink")\(seen)), but no frame from \(rx.name) reached \(tx.host): the network between them forwards one way only, from \(tx.host) to \(rx.host).",
                evidence: evidence,
                fix: "on the switch: the port facing \(tx.host)'s \(tx.chain?.trunk ?? "uplink") sends nothing of \(vlan) towards it (a VLAN allowed on one trunk only, a blocked STP port, an ACL); check the path from \(rx.host) to \(tx.host)",
                devices: devices)])
        default:
            return .ran([])
        }
    }

    /// Path MTUs of the two halves.
    static let mtuMismatch = CrossHostCheck(
        id: "crosshost.mtu_mismatch", severity: .warn,
        title: "The two halves have different MTUs: large frames are dropped on the smaller side"
    ) { ctx in
        guard let ma = ctx.a.smallestMTU(), let mb = ctx.b.smallestMTU() else {
            return .skipped("MTUs not known on both hosts")
        }
        guard ma.mtu != mb.mtu else { return .ran([]) }
        let (small, smallHalf, large, largeHalf) = ma.mtu < mb.mtu ? (ma, ctx.a, mb, ctx.b) : (mb, ctx.b, ma, ctx.a)
        return .ran([Finding(
            check: "crosshost.mtu_mismatch", severity: .warn, subject: subject(ctx),
            explanation: "The path MTU is \(large.mtu) on \(largeHalf.host) (\(large.device)) and \(small.mtu) on \(smallHalf.host) (\(small.device)): frames longer than \(small.mtu) bytes from \(largeHalf.name) are dropped at \(smallHalf.host)'s \(small.device) without an ICMP error. Small pings work, large transfers hang.",
            evidence: [
                Evidence(source: "model", attribute: "\(largeHalf.host): smallest MTU on \(largeHalf.name)'s half (\(large.device))", value: String(large.mtu)),
                Evidence(source: "model", attribute: "\(smallHalf.host): smallest MTU on \(smallHalf.name)'s half (\(small.device))", value: String(small.mtu)),
            ],
            fix: "give both hosts the same MTU along the path: on \(smallHalf.host): ip link set dev \(q(small.device)) mtu \(large.mtu) (and in its network configuration), or lower \(largeHalf.host)'s to \(small.mtu)",
            devices: [large.device, small.device])])
    }
}
