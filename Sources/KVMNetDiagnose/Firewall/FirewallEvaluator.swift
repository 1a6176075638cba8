import KVMNetModel
import KVMNetSources

/// A packet to run through the host firewall: what its hooks see of it.
struct FirewallFrame: Sendable, Hashable {
    /// `iifname` / `oifname`: for a bridged frame at the ip/inet hooks (br_netfilter) the
    /// bridge; at the bridge family's hooks the ports.
    var iif: String
    var oif: String
    /// The bridge a bridged frame crosses (`meta ibrname` / `obrname`).
    var bridge: String?
    var saddr: IPv4?
    var daddr: IPv4?
    var smac: String?
    var dmac: String?
    /// `new` for the first packet of a flow, `established` for a reply.
    var ctState: String
    var icmpType: String
    /// The frame's VLAN tag as the bridge family sees it; `nil`: untagged.
    var vlan: Int?
    /// The bridge ports a bridged frame came in by and leaves by, as br_netfilter tells the
    /// ip hooks (iptables' `-m physdev`); `nil`: not bridged, or not at an ip hook.
    var physIn: String? = nil
    var physOut: String? = nil
}

/// What the firewall does with a frame at one base chain.
struct FirewallOutcome: Sendable, Hashable {
    enum Kind: Sendable, Hashable { case accepted, dropped, unverifiable }
    var kind: Kind
    /// The base chain the frame entered.
    var chain: FirewallChain
    /// The rule that decided (or that could not be evaluated); `nil`: the chain's policy.
    var rule: FirewallRule?
}

/// Evaluates a frame against a ruleset statically, in three-valued logic: each match holds,
/// does not, or cannot be told (an `xt` extension, an address the host does not know). A
/// rule that decides the frame and cannot be told makes the outcome unverifiable, naming
/// that rule. Base chains of one hook run in priority order; a drop in any is final, an
/// accept ends only its own chain (netfilter's semantics). iptables-legacy's chains (x_tables)
/// are base chains of the same hooks beside nf_tables' and are evaluated alike: at
/// `forward`, both `ip filter FORWARD` (iptables-nft) and iptables-legacy's `filter FORWARD`
/// see the frame, and a drop by either drops it.
struct FirewallEvaluator {
    let ruleset: FirewallRuleset

    enum Tri { case yes, no, unknown }

    /// Base chains of `families` at `hook` (filter chains), and what each does.
    func evaluate(_ frame: FirewallFrame, families: Set<String>, hook: String) -> [FirewallOutcome] {
        ruleset.baseChains(families: families, hook: hook).filter { $0.type == nil || $0.type == "filter" }.map { base in
            switch run(base, frame, depth: 0) {
            case .decided(let verdict, let rule):
                return FirewallOutcome(kind: verdict == .accept ? .accepted : .dropped, chain: base, rule: rule)
            case .unknown(let rule):
                return FirewallOutcome(kind: .unverifiable, chain: base, rule: rule)
            case .fallthrough:
                return FirewallOutcome(kind: base.policy == .drop ? .dropped : .accepted, chain: base, rule: nil)
            }
        }
    }

    /// The first outcome that is not an accept, if any.
    func blocking(_ frame: FirewallFrame, families: Set<String>, hook: String) -> FirewallOutcome? {
        let all = evaluate(frame, families: families, hook: hook)
        return all.first { $0.kind == .dropped } ?? all.first { $0.kind == .unverifiable }
    }

    enum ChainResult {
        case decided(FirewallVerdict, FirewallRule)
        case unknown(FirewallRule)
        case `fallthrough`
    }

    private func run(_ chain: FirewallChain, _ frame: FirewallFrame, depth: Int) -> ChainResult {
        guard depth < 32 else { return .fallthrough }
        for rule in ruleset.rules(of: chain) {
            let m = matches(rule, frame)
            if m == .no { continue }
            guard let verdict = rule.verdict else { continue }
            if m == .unknown {
                switch verdict {
                case .continue: continue
                default: return .unknown(rule)
                }
            }
            switch verdict {
            case .accept: return .decided(.accept, rule)
            case .drop, .reject: return .decided(.drop, rule)
            case .queue: return .unknown(rule)
            case .continue: continue
            case .return: return .fallthrough
            case .jump(let target), .goto(let target):
                guard let next = ruleset.chain(family: chain.family, table: chain.table, name: target, origin: chain.origin) else { continue }
                let r = run(next, frame, depth: depth + 1)
                if case .fallthrough = r, case .jump = verdict { continue }
                return r
            }
        }
        return .fallthrough
    }

    func matches(_ rule: FirewallRule, _ frame: FirewallFrame) -> Tri {
        var result = Tri.yes
        for m in rule.matches {
            switch match(m, frame) {
            case .no: return .no
            case .unknown: result = .unknown
            case .yes: break
            }
        }
        return result
    }

    func match(_ m: FirewallMatch, _ f: FirewallFrame) -> Tri {
        let hit: Tri
        switch m.field {
        case .iifname: hit = any(m.values) { Self.name($0, matches: f.iif) }
        case .oifname: hit = any(m.values) { Self.name($0, matches: f.oif) }
        case .ibrname, .obrname: hit = any(m.values) { Self.name($0, matches: f.bridge ?? "") }
        case .physdevIn: hit = f.physIn.map { port in any(m.values) { Self.name($0, matches: port) } } ?? .no
        case .physdevOut: hit = f.physOut.map { port in any(m.values) { Self.name($0, matches: port) } } ?? .no
        // xt_physdev: bridged (not routed) when the frame has an output port.
        case .physdevIsBridged, .physdevIsOut: hit = f.physOut == nil ? .no : .yes
        case .physdevIsIn: hit = f.physIn == nil ? .no : .yes
        case .l3proto: hit = any(m.values) { v in ["ip", "ipv4", "2048"].contains(Self.word(v)) ? .yes : .no }
        case .l4proto: hit = any(m.values) { v in ["icmp", "1"].contains(Self.word(v)) ? .yes : .no }
        case .ipSaddr: hit = any(m.values) { Self.address($0, f.saddr) }
        case .ipDaddr: hit = any(m.values) { Self.address($0, f.daddr) }
        case .etherSaddr: hit = any(m.values) { v in f.smac.map { MACText.normalize(Self.word(v)) == MACText.normalize($0) ? .yes : .no } ?? .unknown }
        case .etherDaddr: hit = any(m.values) { v in f.dmac.map { MACText.normalize(Self.word(v)) == MACText.normalize($0) ? .yes : .no } ?? .unknown }
        case .ctState: hit = any(m.values) { Self.word($0) == f.ctState ? .yes : .no }
        case .vlanID: hit = any(m.values) { v in f.vlan.map { Self.word(v) == String($0) ? .yes : .no } ?? .no }
        case .icmpType: hit = any(m.values) { Self.word($0) == f.icmpType ? .yes : .no }
        case .tcpDport, .udpDport: hit = .no   // an ICMP frame has no ports
        case .other: return .unknown
        }
        switch (m.op, hit) {
        case (.other, _): return .unknown
        case (.notEqual, .yes): return .no
        case (.notEqual, .no): return .yes
        default: return hit
        }
    }

    private func any(_ values: [FirewallMatch.Value], _ test: (FirewallMatch.Value) -> Tri) -> Tri {
        var r = Tri.no
        for v in values {
            switch test(v) {
            case .yes: return .yes
            case .unknown: r = .unknown
            case .no: break
            }
        }
        return r
    }

    static func word(_ v: FirewallMatch.Value) -> String {
        switch v {
        case .text(let s): return s
        case .number(let n): return String(n)
        default: return v.description
        }
    }

    /// Interface names; a trailing `*` (nft) or `+` (iptables) matches a prefix.
    static func name(_ v: FirewallMatch.Value, matches name: String) -> Tri {
        let pattern = word(v)
        if let last = pattern.last, last == "*" || last == "+" { return name.hasPrefix(pattern.dropLast()) ? .yes : .no }
        return pattern == name ? .yes : .no
    }

    static func address(_ v: FirewallMatch.Value, _ address: IPv4?) -> Tri {
        guard let address else { return .unknown }
        switch v {
        case .text(let s):
            guard let a = IPv4(s) else { return .unknown }
            return a == address ? .yes : .no
        case .prefix(let s, let len):
            guard let a = IPv4(s) else { return .unknown }
            return IPv4Interface(address: a, prefix: len).contains(address) ? .yes : .no
        case .range(let lo, let hi):
            guard let l = IPv4(lo), let h = IPv4(hi) else { return .unknown }
            return l.value <= address.value && address.value <= h.value ? .yes : .no
        case .number:
            return .unknown
        }
    }
}
