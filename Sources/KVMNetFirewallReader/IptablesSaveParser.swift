import KVMNetModel

/// Why the output of `iptables-legacy-save` could not be read; `line` is 1-based.
public enum IptablesSaveParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A line that is none of `# comment`, `*table`, `:CHAIN POLICY [p:b]`, `-A ...`,
    /// `COMMIT`, or one of the last three outside a table.
    case unexpectedLine(line: Int, text: String)
    /// A chain declaration that cannot be read (no policy, a policy on a user chain, a
    /// chain declared twice).
    case badChain(line: Int, reason: String)
    /// A rule that cannot be read (an unbalanced quote, an option without its argument, a
    /// chain not declared).
    case badRule(line: Int, reason: String)
    /// A table (`*filter` on `line`) without its `COMMIT`.
    case unterminatedTable(name: String, line: Int)

    /// The line the error is on (of a table without `COMMIT`: its `*name` line).
    public var line: Int {
        switch self {
        case .unexpectedLine(let n, _), .badChain(let n, _), .badRule(let n, _), .unterminatedTable(_, let n): return n
        }
    }

    public var description: String {
        switch self {
        case .unexpectedLine(let n, let text): return "line \(n): unexpected \"\(text)\""
        case .badChain(let n, let why): return "line \(n): bad chain declaration: \(why)"
        case .badRule(let n, let why): return "line \(n): bad rule: \(why)"
        case .unterminatedTable(let name, let n): return "line \(n): table \(name) has no COMMIT"
        }
    }
}

/// Parses the output of `iptables-legacy-save` (the x_tables rules, which nft does not
/// show) into a ``FirewallRuleset``, the model the nft parser produces. Pure: text in,
/// value out; linear in the input, never traps on malformed input (a typed error instead).
///
/// Chains and rules get family `ip`, the table's name (`filter`, `nat`, ...) and origin
/// ``FirewallOrigin/iptablesLegacy``; a rule's text is its `-A CHAIN ...` line and its
/// ``FirewallRule/handle`` the line's number. The built-in chains become base chains with
/// the hook and priority x_tables registers them at (``builtinChains``); user chains
/// (policy `-`) are regular chains, reached by `-j` (jump) or `-g` (goto).
///
/// Typed matches, as the nft parser types them: `-i`/`-o` (with `+` wildcards), `-s`/`-d`,
/// `-p`, `-m physdev` (`--physdev-in`, `--physdev-out`, `--physdev-is-bridged`,
/// `--physdev-is-in`, `--physdev-is-out`), `-m conntrack --ctstate`, `-m state --state`,
/// `-m icmp --icmp-type`, `-m tcp`/`-m udp --dport`, `-m iprange`, `-m mac --mac-source`,
/// each negated by a `!` before it; `-m comment` is ignored. Every other match or option
/// (`-m string`, `-m u32`, `-m set`, `-m limit`, `-f`, ...) becomes
/// ``FirewallMatch/Field/other(_:)``, which makes a rule that decides a frame unverifiable.
/// Targets: `ACCEPT`, `DROP`, `REJECT`, `RETURN`, `QUEUE`/`NFQUEUE`, a chain of the table
/// (jump), `-g CHAIN` (goto); any other target (`LOG`, `MARK`, `NOTRACK`, nat's
/// `MASQUERADE`, ...) is taken as non-terminal: the packet goes on to the next rule.
public enum IptablesSaveParser {
    /// The hook, priority and type of each built-in chain, by table: x_tables' priorities
    /// (`NF_IP_PRI_RAW` -300, `_MANGLE` -150, `_NAT_DST` -100, `_FILTER` 0, `_SECURITY` 50,
    /// `_NAT_SRC` 100), as iptables-nft gives its chains too. What decides a forwarded or
    /// bridged frame is the `filter` (and `mangle`, `security`) FORWARD chain; nat chains
    /// are typed `nat` and not evaluated.
    public static let builtinChains: [String: [String: (hook: String, priority: Int, type: String)]] = [
        "filter": ["INPUT": ("input", 0, "filter"), "FORWARD": ("forward", 0, "filter"), "OUTPUT": ("output", 0, "filter")],
        "mangle": ["PREROUTING": ("prerouting", -150, "filter"), "INPUT": ("input", -150, "filter"),
                   "FORWARD": ("forward", -150, "filter"), "OUTPUT": ("output", -150, "route"),
                   "POSTROUTING": ("postrouting", -150, "filter")],
        "raw": ["PREROUTING": ("prerouting", -300, "filter"), "OUTPUT": ("output", -300, "filter")],
        "security": ["INPUT": ("input", 50, "filter"), "FORWARD": ("forward", 50, "filter"), "OUTPUT": ("output", 50, "filter")],
        "nat": ["PREROUTING": ("prerouting", -100, "nat"), "INPUT": ("input", 100, "nat"),
                "OUTPUT": ("output", -100, "nat"), "POSTROUTING": ("postrouting", 100, "nat")],
    ]

    /// The family the chains and rules get (`ip6tables-legacy-save` is not read).
    public static let family = "ip"

    public static func parse(_ text: String) throws(IptablesSaveParseError) -> FirewallRuleset {
        var ruleset = FirewallRuleset()
        // The open table: its name, the line of `*name`, its chains so far.
        var table: (name: String, line: Int, chains: Set<String>)?
        for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let n = index + 1
            let line = raw.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("*") {
                if let open = table { throw .unterminatedTable(name: open.name, line: open.line) }
                let name = String(line.dropFirst())
                guard !name.isEmpty, !name.contains(where: \.isWhitespace) else { throw .unexpectedLine(line: n, text: clip(line)) }
                table = (name, n, [])
                continue
            }
            guard let open = table else { throw .unexpectedLine(line: n, text: clip(line)) }
            if line == "COMMIT" {
                table = nil
            } else if line.hasPrefix(":") {
                let chain = try self.chain(line, table: open.name, line: n)
                guard table?.chains.insert(chain.name).inserted == true else { throw .badChain(line: n, reason: "\(chain.name) declared twice") }
                ruleset.chains.append(chain)
            } else if line.hasPrefix("-") || line.hasPrefix("[") {
                ruleset.rules.append(try rule(line, table: open.name, chains: open.chains, line: n))
            } else {
                throw .unexpectedLine(line: n, text: clip(line))
            }
        }
        if let open = table { throw .unterminatedTable(name: open.name, line: open.line) }
        return ruleset
    }

    /// `:FORWARD DROP [0:0]`, `:DOCKER-USER - [0:0]` (counters optional).
    static func chain(_ line: Substring, table: String, line n: Int) throws(IptablesSaveParseError) -> FirewallChain {
        let words = line.dropFirst().split(whereSeparator: \.isWhitespace).map(String.init)
        guard words.count == 2 || (words.count == 3 && words[2].hasPrefix("[") && words[2].hasSuffix("]")),
              let name = words.first, !name.isEmpty else {
            throw .badChain(line: n, reason: "expected \":CHAIN POLICY [packets:bytes]\"")
        }
        let builtin = builtinChains[table]?[name]
        let policy: FirewallVerdict?
        switch words[1] {
        case "ACCEPT": policy = .accept
        case "DROP": policy = .drop
        case "-": policy = nil
        default: throw .badChain(line: n, reason: "unknown policy \(clip(words[1]))")
        }
        if builtin != nil && policy == nil { throw .badChain(line: n, reason: "built-in chain \(name) without a policy") }
        if builtin == nil && policy != nil && builtinChains[table] != nil {
            throw .badChain(line: n, reason: "user chain \(name) with a policy")
        }
        return FirewallChain(family: family, table: table, name: name, type: builtin?.type, hook: builtin?.hook,
                             priority: builtin?.priority, policy: policy, origin: .iptablesLegacy)
    }

    /// A word of a rule, and whether it was quoted (then it is an argument, whatever it reads).
    struct Token: Equatable {
        var text: String
        var quoted: Bool
    }

    /// Splits a rule as iptables-restore does: at blanks, with `"..."` one word in which `\`
    /// escapes the next character.
    static func tokens(_ line: Substring, line n: Int) throws(IptablesSaveParseError) -> [Token] {
        var out: [Token] = []
        var current = "", quoted = false, inQuotes = false, escaped = false, started = false
        for ch in line {
            if escaped { current.append(ch); escaped = false; continue }
            if inQuotes {
                switch ch {
                case "\\": escaped = true
                case "\"": inQuotes = false
                default: current.append(ch)
                }
                continue
            }
            if ch.isWhitespace {
                if started { out.append(Token(text: current, quoted: quoted)) }
                current = ""; quoted = false; started = false
            } else if ch == "\"" {
                inQuotes = true; quoted = true; started = true
            } else {
                current.append(ch); started = true
            }
        }
        if inQuotes || escaped { throw .badRule(line: n, reason: "unbalanced quote") }
        if started { out.append(Token(text: current, quoted: quoted)) }
        return out
    }

    static func rule(_ line: Substring, table: String, chains: Set<String>, line n: Int) throws(IptablesSaveParseError) -> FirewallRule {
        var words = try tokens(line, line: n)
        var text = line
        // `iptables-save -c`: `[packets:bytes] -A ...`.
        if let first = words.first, !first.quoted, first.text.hasPrefix("["), first.text.hasSuffix("]") {
            words.removeFirst()
            text = text.dropFirst(first.text.count).trimmingWhitespace()
        }
        guard words.count >= 2, words[0].text == "-A" || words[0].text == "--append" else {
            throw .badRule(line: n, reason: "expected \"-A CHAIN ...\"")
        }
        let chain = words[1].text
        guard chains.contains(chain) else { throw .badRule(line: n, reason: "chain \(clip(chain)) is not declared") }
        var reader = RuleReader(words: Array(words.dropFirst(2)), chains: chains, line: n)
        try reader.read()
        return FirewallRule(family: family, table: table, chain: chain, handle: n, matches: reader.matches,
                            verdict: reader.verdict, text: String(text), origin: .iptablesLegacy)
    }

    static func clip<S: StringProtocol>(_ s: S) -> String { s.count > 80 ? String(s.prefix(80)) + "..." : String(s) }
}

/// Reads the options of one rule after `-A CHAIN`, left to right.
struct RuleReader {
    let words: [IptablesSaveParser.Token]
    let chains: Set<String>
    let line: Int
    var i = 0
    var matches: [FirewallMatch] = []
    var verdict: FirewallVerdict?
    /// The `-m` module whose `--options` follow.
    var module: String?
    /// Options of the current module that were seen, for `-m NAME` without any.
    var moduleOptions = 0

    init(words: [IptablesSaveParser.Token], chains: Set<String>, line: Int) {
        self.words = words
        self.chains = chains
        self.line = line
    }

    func fail(_ reason: String) -> IptablesSaveParseError { .badRule(line: line, reason: reason) }

    /// The argument after the option at `i - 1`.
    mutating func argument(of option: String) throws(IptablesSaveParseError) -> String {
        guard i < words.count, words[i].quoted || (words[i].text != "!" && !words[i].text.hasPrefix("-")) else {
            throw fail("\(option) without its argument")
        }
        i += 1
        return words[i - 1].text
    }

    /// The arguments after a module option: the words up to the next option or `!`.
    mutating func arguments() -> [String] {
        var out: [String] = []
        while i < words.count, words[i].quoted || (words[i].text != "!" && !words[i].text.hasPrefix("-")) {
            out.append(words[i].text)
            i += 1
        }
        return out
    }

    mutating func read() throws(IptablesSaveParseError) {
        var negate = false
        while i < words.count {
            let word = words[i]
            i += 1
            if word.quoted { throw fail("unexpected \(IptablesSaveParser.clip(word.text))") }
            if word.text == "!" {
                if negate { throw fail("two \"!\" in a row") }
                negate = true
                continue
            }
            let op: FirewallMatch.Op = negate ? .notEqual : .equal
            let option = word.text
            negate = false
            switch option {
            case "-s", "--source": matches.append(try address(.ipSaddr, option, op))
            case "-d", "--destination": matches.append(try address(.ipDaddr, option, op))
            case "-i", "--in-interface": matches.append(FirewallMatch(field: .iifname, op: op, values: [.text(try argument(of: option))]))
            case "-o", "--out-interface": matches.append(FirewallMatch(field: .oifname, op: op, values: [.text(try argument(of: option))]))
            case "-p", "--protocol":
                let proto = try argument(of: option).lowercased()
                if proto == "all" || proto == "0" {
                    if op == .notEqual { matches.append(FirewallMatch(field: .other("! -p all"), op: .other, values: [])) }
                } else {
                    matches.append(FirewallMatch(field: .l4proto, op: op, values: [.text(proto)]))
                }
            case "-f", "--fragment":
                matches.append(FirewallMatch(field: .other("\(op == .notEqual ? "! " : "")-f"), op: .other, values: []))
            case "-m", "--match":
                if op == .notEqual { throw fail("\"!\" before -m") }
                try endModule()
                module = try argument(of: option)
                moduleOptions = 0
            case "-j", "--jump":
                try endModule()
                verdict = target(try argument(of: option))
                i = words.count   // the rest are the target's options (--reject-with, --log-prefix)
            case "-g", "--goto":
                try endModule()
                let chain = try argument(of: option)
                guard chains.contains(chain) else { throw fail("goto \(IptablesSaveParser.clip(chain)), which is not declared") }
                verdict = .goto(chain)
                i = words.count
            default:
                guard option.hasPrefix("--"), let module else { throw fail("unknown option \(IptablesSaveParser.clip(option))") }
                moduleOptions += 1
                if let m = moduleMatch(module, option, op, arguments()) { matches.append(m) }
            }
        }
        if negate { throw fail("\"!\" at the end") }
        try endModule()
    }

    /// A module given without options of its own (`-m tcp` after `-p tcp`): only the ones
    /// that need none are known.
    mutating func endModule() throws(IptablesSaveParseError) {
        defer { module = nil }
        guard let module, moduleOptions == 0 else { return }
        if !["tcp", "udp", "icmp", "comment", "conntrack", "state"].contains(module) {
            matches.append(FirewallMatch(field: .other("-m \(module)"), op: .other, values: []))
        }
    }

    mutating func address(_ field: FirewallMatch.Field, _ option: String, _ op: FirewallMatch.Op) throws(IptablesSaveParseError) -> FirewallMatch {
        let text = try argument(of: option)
        var values: [FirewallMatch.Value] = []
        for part in text.split(separator: ",") {
            guard let v = Self.address(String(part)) else { return FirewallMatch(field: .other("\(option) \(IptablesSaveParser.clip(text))"), op: .other, values: []) }
            values.append(v)
        }
        return FirewallMatch(field: field, op: values.count > 1 && op == .equal ? .any : op, values: values)
    }

    /// `10.0.0.1`, `10.0.0.0/24`, `10.0.0.0/255.255.255.0` (a contiguous mask only); `nil`
    /// for anything else (a host name, a non-contiguous mask).
    static func address(_ text: String) -> FirewallMatch.Value? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let ip = parts.first.map(String.init), ipv4(ip) != nil else { return nil }
        guard parts.count == 2 else { return .text(ip) }
        if let len = Int(parts[1]), (0...32).contains(len) { return .prefix(ip, len) }
        guard let mask = ipv4(parts[1]) else { return nil }
        let inverse = ~mask
        guard inverse & (inverse &+ 1) == 0 else { return nil }
        return .prefix(ip, mask.nonzeroBitCount)
    }

    /// A dotted quad (`10.0.0.1`).
    static func ipv4(_ text: some StringProtocol) -> UInt32? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var value: UInt32 = 0
        for o in octets {
            guard (1...3).contains(o.count), o.allSatisfy({ $0.isASCII && $0.isNumber }), let b = UInt8(o) else { return nil }
            value = value << 8 | UInt32(b)
        }
        return value
    }

    func target(_ name: String) -> FirewallVerdict? {
        switch name {
        case "ACCEPT": return .accept
        case "DROP": return .drop
        case "REJECT": return .reject
        case "RETURN": return .return
        case "QUEUE", "NFQUEUE": return .queue
        default: return chains.contains(name) ? .jump(name) : nil
        }
    }

    /// The match of one `--option` of module `module`; `nil`: it matches every packet
    /// (a comment, `--icmp-type any`).
    func moduleMatch(_ module: String, _ option: String, _ op: FirewallMatch.Op, _ args: [String]) -> FirewallMatch? {
        let other = FirewallMatch(field: .other("-m \(module) \(op == .notEqual ? "! " : "")\(option)"), op: .other, values: [])
        func one(_ field: FirewallMatch.Field, _ value: FirewallMatch.Value?) -> FirewallMatch {
            guard args.count == 1, let value else { return other }
            return FirewallMatch(field: field, op: op, values: [value])
        }
        func flag(_ field: FirewallMatch.Field) -> FirewallMatch { args.isEmpty ? FirewallMatch(field: field, op: op, values: []) : other }
        func states() -> FirewallMatch {
            guard args.count == 1 else { return other }
            let values = args[0].lowercased().split(separator: ",").map { FirewallMatch.Value.text(String($0)) }
            return FirewallMatch(field: .ctState, op: op == .notEqual ? .notEqual : .any, values: values)
        }
        func range(_ field: FirewallMatch.Field) -> FirewallMatch {
            let ends = args.first?.split(separator: "-").map(String.init) ?? []
            guard ends.count == 2, Self.ipv4(ends[0]) != nil, Self.ipv4(ends[1]) != nil else { return other }
            return one(field, .range(ends[0], ends[1]))
        }
        switch (module, option) {
        case ("comment", "--comment"): return nil
        case ("physdev", "--physdev-in"): return one(.physdevIn, args.first.map { .text($0) })
        case ("physdev", "--physdev-out"): return one(.physdevOut, args.first.map { .text($0) })
        case ("physdev", "--physdev-is-bridged"): return flag(.physdevIsBridged)
        case ("physdev", "--physdev-is-in"): return flag(.physdevIsIn)
        case ("physdev", "--physdev-is-out"): return flag(.physdevIsOut)
        case ("conntrack", "--ctstate"), ("state", "--state"): return states()
        case ("tcp", "--dport"), ("tcp", "--destination-port"): return one(.tcpDport, args.first.flatMap(Self.port))
        case ("udp", "--dport"), ("udp", "--destination-port"): return one(.udpDport, args.first.flatMap(Self.port))
        case ("icmp", "--icmp-type"):
            if args == ["any"] { return op == .notEqual ? other : nil }
            return one(.icmpType, args.first.map(Self.icmpType))
        case ("iprange", "--src-range"): return range(.ipSaddr)
        case ("iprange", "--dst-range"): return range(.ipDaddr)
        case ("mac", "--mac-source"): return one(.etherSaddr, args.first.map { .text($0.lowercased()) })
        default: return other
        }
    }

    /// `22`, `20:22`.
    static func port(_ text: String) -> FirewallMatch.Value? {
        let ends = text.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
        if ends.count == 1, let p = ends[0] { return .number(p) }
        if ends.count == 2, let a = ends[0], let b = ends[1] { return .range(String(a), String(b)) }
        return nil
    }

    /// iptables-save prints ICMP types as numbers (`8`, `3/4`): the names nft uses for the
    /// echo types kvmnet evaluates; other types keep their number (they match neither).
    static func icmpType(_ text: String) -> FirewallMatch.Value {
        switch text {
        case "0", "0/0", "echo-reply": return .text("echo-reply")
        case "8", "8/0", "echo-request": return .text("echo-request")
        default: return .text(text)
        }
    }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        guard let start = firstIndex(where: { !$0.isWhitespace }), let end = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return self[start...end]
    }
}
