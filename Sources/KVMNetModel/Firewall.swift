/// The host firewall as the kernel runs it: the chains and rules of every netfilter table
/// (`nft -j list ruleset`; iptables-nft and ebtables-nft rules appear there too) and, where
/// iptables-legacy is in use, of the x_tables tables (`iptables-legacy-save`, marked with
/// ``FirewallOrigin/iptablesLegacy``), in a form a frame can be evaluated against. Only what decides a bridged or forwarded frame's fate is typed; any
/// other match is kept as ``FirewallMatch/Field/other(_:)`` and makes a rule unverifiable.
public struct FirewallRuleset: Sendable, Hashable, Codable {
    public var chains: [FirewallChain]
    /// Rules in the kernel's order within each chain.
    public var rules: [FirewallRule]

    public init(chains: [FirewallChain] = [], rules: [FirewallRule] = []) {
        self.chains = chains
        self.rules = rules
    }

    /// The chain `name` of `family` / `table` of the given origin (`nil`: nf_tables): an
    /// iptables-legacy `filter` table is not the nf_tables table `ip filter` of iptables-nft,
    /// though both may exist at once.
    public func chain(family: String, table: String, name: String, origin: FirewallOrigin? = nil) -> FirewallChain? {
        chains.first { $0.family == family && $0.table == table && $0.name == name && $0.origin == origin }
    }

    /// The rules of a chain, in order.
    public func rules(of chain: FirewallChain) -> [FirewallRule] {
        rules.filter { $0.family == chain.family && $0.table == chain.table && $0.chain == chain.name && $0.origin == chain.origin }
    }

    /// Base chains (attached to a hook) of the given families and hook, by priority; of
    /// either origin: nf_tables and x_tables chains at one hook all see the packet.
    public func baseChains(families: Set<String>, hook: String) -> [FirewallChain] {
        func key(_ c: FirewallChain) -> (Int, String, String, String, String) {
            (c.priority ?? 0, c.family, c.table, c.name, c.origin?.rawValue ?? "")
        }
        return chains.filter { families.contains($0.family) && $0.hook == hook }.sorted { key($0) < key($1) }
    }

    /// Both rulesets: the chains and rules of `other` after these (their origins keep them apart).
    public func merged(with other: FirewallRuleset) -> FirewallRuleset {
        FirewallRuleset(chains: chains + other.chains, rules: rules + other.rules)
    }
}

/// Where a chain or rule was read, when not from nf_tables (`nft -j list ruleset`).
public enum FirewallOrigin: String, Sendable, Hashable, Codable {
    /// The x_tables kernel API of iptables-legacy (`iptables-legacy-save`), invisible to nft.
    case iptablesLegacy = "iptables-legacy"

    /// The command that lists the rules (for evidence and fixes).
    public var listCommand: String {
        switch self {
        case .iptablesLegacy: return "iptables-legacy-save"
        }
    }
}

/// A chain: a base chain has a hook, a priority and a policy.
public struct FirewallChain: Sendable, Hashable, Codable {
    /// `ip`, `ip6`, `inet`, `arp`, `bridge`, `netdev`.
    public var family: String
    public var table: String
    public var name: String
    public var handle: Int?
    /// `filter`, `nat`, `route`; `nil` for a regular chain.
    public var type: String?
    /// `prerouting`, `input`, `forward`, `output`, `postrouting`, `ingress`; `nil` for a
    /// regular chain (reached by jump or goto only).
    public var hook: String?
    public var priority: Int?
    /// `accept` or `drop`; `nil` for a regular chain.
    public var policy: FirewallVerdict?
    /// `nil`: an nf_tables chain; else where it was read (an iptables-legacy table has
    /// family `ip`, its table's name, and the hook and priority iptables gives it).
    public var origin: FirewallOrigin?

    public init(family: String, table: String, name: String, handle: Int? = nil, type: String? = nil,
                hook: String? = nil, priority: Int? = nil, policy: FirewallVerdict? = nil, origin: FirewallOrigin? = nil) {
        self.family = family
        self.table = table
        self.name = name
        self.handle = handle
        self.type = type
        self.hook = hook
        self.priority = priority
        self.policy = policy
        self.origin = origin
    }

    /// `ip filter FORWARD` (nft), `iptables-legacy filter FORWARD`.
    public var qualifiedName: String { "\(origin?.rawValue ?? family) \(table) \(name)" }
}

/// What a rule (or a chain policy) does with a packet it matches.
public enum FirewallVerdict: Sendable, Hashable, Codable {
    case accept, drop, reject, `return`, `continue`, queue
    case jump(String)
    case goto(String)

    public var text: String {
        switch self {
        case .accept: return "accept"
        case .drop: return "drop"
        case .reject: return "reject"
        case .return: return "return"
        case .continue: return "continue"
        case .queue: return "queue"
        case .jump(let c): return "jump \(c)"
        case .goto(let c): return "goto \(c)"
        }
    }
}

/// One rule: its matches, all of which must hold, and its verdict.
public struct FirewallRule: Sendable, Hashable, Codable {
    public var family: String
    public var table: String
    public var chain: String
    /// The kernel's handle (`nft -a`); from iptables-legacy, the rule's line in
    /// `iptables-legacy-save`'s output (x_tables rules have no handle).
    public var handle: Int?
    public var matches: [FirewallMatch]
    /// `nil`: no verdict (counter, log): the packet goes on to the next rule.
    public var verdict: FirewallVerdict?
    /// The rule as nft prints it (from iptables-legacy: its `-A CHAIN ...` line), for evidence.
    public var text: String
    /// `nil`: an nf_tables rule; else where it was read.
    public var origin: FirewallOrigin?

    public init(family: String, table: String, chain: String, handle: Int? = nil,
                matches: [FirewallMatch] = [], verdict: FirewallVerdict? = nil, text: String = "", origin: FirewallOrigin? = nil) {
        self.family = family
        self.table = table
        self.chain = chain
        self.handle = handle
        self.matches = matches
        self.verdict = verdict
        self.text = text
        self.origin = origin
    }

    /// Where the rule is, for evidence: `ip filter FORWARD handle 7` (nft),
    /// `iptables-legacy filter FORWARD, line 12`.
    public var location: String {
        let at = handle.map(String.init) ?? "?"
        if let origin { return "\(origin.rawValue) \(table) \(chain), line \(at)" }
        return "\(family) \(table) \(chain) handle \(at)"
    }

    /// `handle 7` (nft), `line 12 of iptables-legacy-save`.
    public var position: String {
        let at = handle.map(String.init) ?? "?"
        if let origin { return "line \(at) of \(origin.listCommand)" }
        return "handle \(at)"
    }
}

/// One match of a rule: `field op values`.
public struct FirewallMatch: Sendable, Hashable, Codable {
    public enum Field: Sendable, Hashable, Codable {
        case iifname, oifname
        /// The bridge a bridged frame enters and leaves by (nft `meta ibrname` / `obrname`).
        case ibrname, obrname
        /// The bridge ports of a bridged frame at an ip hook (br_netfilter), iptables'
        /// `-m physdev --physdev-in` / `--physdev-out`.
        case physdevIn, physdevOut
        /// `--physdev-is-bridged` (the frame is bridged, not routed), `--physdev-is-in` (it
        /// came in by a bridge port), `--physdev-is-out` (it leaves by one): no values.
        case physdevIsBridged, physdevIsIn, physdevIsOut
        /// `meta nfproto` / `meta protocol` / `ether type`: `ipv4`, `ip`, `arp`, ...
        case l3proto
        /// `meta l4proto` / `ip protocol`: `icmp`, `tcp`, ...
        case l4proto
        case ipSaddr, ipDaddr
        case etherSaddr, etherDaddr
        case ctState
        case vlanID
        case icmpType
        case tcpDport, udpDport
        /// Anything else, with a short description (`xt match physdev`, `tcp flags`).
        case other(String)
    }

    public enum Op: String, Sendable, Hashable, Codable {
        case equal = "=="
        case notEqual = "!="
        /// Flags (`ct state established,related`) or a set: any of the values.
        case any = "in"
        case other
    }

    /// A value to compare with: a word or number, an address prefix, a range.
    public enum Value: Sendable, Hashable, Codable {
        case text(String)
        case number(Int)
        case prefix(String, Int)
        case range(String, String)

        public var description: String {
            switch self {
            case .text(let s): return s.contains(" ") ? "\"\(s)\"" : s
            case .number(let n): return String(n)
            case .prefix(let a, let l): return "\(a)/\(l)"
            case .range(let a, let b): return "\(a)-\(b)"
            }
        }
    }

    public var field: Field
    public var op: Op
    public var values: [Value]

    public init(field: Field, op: Op = .equal, values: [Value]) {
        self.field = field
        self.op = op
        self.values = values
    }
}

/// What kvmnet-diag read of the host firewall.
public struct FirewallFacts: Sendable, Hashable, Codable {
    /// The ruleset; `nil` when it could not be read (then ``unavailable`` says why).
    public var ruleset: FirewallRuleset?
    /// Where the ruleset came from: `nft -j list ruleset`, and `iptables-legacy-save` where
    /// iptables-legacy is in use (`/proc/net/ip_tables_names` lists tables).
    public var source: String
    /// Why there is no ruleset (not root, nft not installed, nft or iptables-legacy-save failed).
    public var unavailable: String?
    /// Whether the `br_netfilter` module is loaded (`/sys/module/br_netfilter`): then
    /// bridged IPv4/IPv6 frames traverse the ip/ip6/inet hooks as the `bridge-nf-call-*`
    /// sysctls say.
    public var brNetfilterLoaded: Bool?

    public init(ruleset: FirewallRuleset? = nil, source: String = "nft -j list ruleset",
                unavailable: String? = nil, brNetfilterLoaded: Bool? = nil) {
        self.ruleset = ruleset
        self.source = source
        self.unavailable = unavailable
        self.brNetfilterLoaded = brNetfilterLoaded
    }

    enum CodingKeys: String, CodingKey {
        case ruleset, source, unavailable
        case brNetfilterLoaded = "br_netfilter_loaded"
    }
}
