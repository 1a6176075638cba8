/// The host firewall as the kernel runs it: the chains and rules of every netfilter table
/// (`nft -j list ruleset`; iptables-nft rules appear there too), in a form a frame can be
/// evaluated against. Only what decides a bridged or forwarded frame's fate is typed; any
/// other match is kept as ``FirewallMatch/Field/other(_:)`` and makes a rule unverifiable.
public struct FirewallRuleset: Sendable, Hashable, Codable {
    public var chains: [FirewallChain]
    /// Rules in the kernel's order within each chain.
    public var rules: [FirewallRule]

    public init(chains: [FirewallChain] = [], rules: [FirewallRule] = []) {
        self.chains = chains
        self.rules = rules
    }

    /// The chain `name` of `family` / `table`.
    public func chain(family: String, table: String, name: String) -> FirewallChain? {
        chains.first { $0.family == family && $0.table == table && $0.name == name }
    }

    /// The rules of a chain, in order.
    public func rules(of chain: FirewallChain) -> [FirewallRule] {
        rules.filter { $0.family == chain.family && $0.table == chain.table && $0.chain == chain.name }
    }

    /// Base chains (attached to a hook) of the given families and hook, by priority.
    public func baseChains(families: Set<String>, hook: String) -> [FirewallChain] {
        chains.filter { families.contains($0.family) && $0.hook == hook }
            .sorted { ($0.priority ?? 0, $0.family, $0.table, $0.name) < ($1.priority ?? 0, $1.family, $1.table, $1.name) }
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

    public init(family: String, table: String, name: String, handle: Int? = nil, type: String? = nil,
                hook: String? = nil, priority: Int? = nil, policy: FirewallVerdict? = nil) {
        self.family = family
        self.table = table
        self.name = name
        self.handle = handle
        self.type = type
        self.hook = hook
        self.priority = priority
        self.policy = policy
    }

    /// `ip filter FORWARD`.
    public var qualifiedName: String { "\(family) \(table) \(name)" }
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
    /// The kernel's handle (`nft -a`); `nil` from iptables-legacy.
    public var handle: Int?
    public var matches: [FirewallMatch]
    /// `nil`: no verdict (counter, log): the packet goes on to the next rule.
    public var verdict: FirewallVerdict?
    /// The rule as nft (or iptables-save) prints it, for evidence.
    public var text: String

    public init(family: String, table: String, chain: String, handle: Int? = nil,
                matches: [FirewallMatch] = [], verdict: FirewallVerdict? = nil, text: String = "") {
        self.family = family
        self.table = table
        self.chain = chain
        self.handle = handle
        self.matches = matches
        self.verdict = verdict
        self.text = text
    }
}

/// One match of a rule: `field op values`.
public struct FirewallMatch: Sendable, Hashable, Codable {
    public enum Field: Sendable, Hashable, Codable {
        case iifname, oifname
        /// The bridge ports of a bridged frame (iptables' `physdev`, nft `meta ibrname` is the bridge).
        case ibrname, obrname
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
    /// Where the ruleset came from: `nft -j list ruleset`.
    public var source: String
    /// Why there is no ruleset (not root, nft not installed, nft failed).
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
