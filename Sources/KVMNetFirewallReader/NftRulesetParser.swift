import Foundation
import KVMNetModel

/// Why an `nft -j list ruleset` document could not be read.
public enum NftParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Not JSON at all.
    case notJSON(String)
    /// JSON, but not nft's shape (no top-level `nftables` array, an element of a wrong type).
    case unexpectedShape(String)

    public var description: String {
        switch self {
        case .notJSON(let d): return "not JSON: \(d)"
        case .unexpectedShape(let d): return "not an nft -j ruleset: \(d)"
        }
    }
}

/// Parses the JSON of `nft -j list ruleset` (libnftables' schema, `json_schema_version` 1)
/// into a ``FirewallRuleset``. Pure: text in, value out.
///
/// JSON is decoded by Foundation's `JSONSerialization` (this target is used by
/// kvmnet-diag only; the agent runs no processes and reads no ruleset). The matches that
/// decide a bridged or forwarded frame are typed (interface names, protocols, addresses,
/// conntrack state, VLAN id, ICMP type, ports); anything else (an iptables-nft `xt`
/// extension, a map lookup) becomes ``FirewallMatch/Field/other(_:)``.
public enum NftRulesetParser {
    public static func parse(_ text: String) throws(NftParseError) -> FirewallRuleset {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [])
        } catch {
            throw .notJSON(String(describing: error).prefix(200).description)
        }
        guard let top = object as? [String: Any], let items = top["nftables"] as? [Any] else {
            throw .unexpectedShape("no top-level \"nftables\" array")
        }
        var ruleset = FirewallRuleset()
        for (i, item) in items.enumerated() {
            guard let element = item as? [String: Any] else { throw .unexpectedShape("element \(i) is not an object") }
            if let chain = element["chain"] {
                guard let c = chain as? [String: Any] else { throw .unexpectedShape("element \(i): chain is not an object") }
                ruleset.chains.append(try self.chain(c, index: i))
            } else if let rule = element["rule"] {
                guard let r = rule as? [String: Any] else { throw .unexpectedShape("element \(i): rule is not an object") }
                ruleset.rules.append(try self.rule(r, index: i))
            }
        }
        return ruleset
    }

    static func string(_ o: [String: Any], _ key: String, index: Int) throws(NftParseError) -> String {
        guard let s = o[key] as? String else { throw .unexpectedShape("element \(index): no \"\(key)\" string") }
        return s
    }

    static func int(_ v: Any?) -> Int? {
        if let n = v as? Int { return n }
        return (v as? NSNumber)?.intValue
    }

    static func chain(_ c: [String: Any], index: Int) throws(NftParseError) -> FirewallChain {
        let policy: FirewallVerdict?
        switch c["policy"] as? String {
        case "accept"?: policy = .accept
        case "drop"?: policy = .drop
        default: policy = nil
        }
        return FirewallChain(
            family: try string(c, "family", index: index), table: try string(c, "table", index: index),
            name: try string(c, "name", index: index), handle: int(c["handle"]), type: c["type"] as? String,
            hook: c["hook"] as? String, priority: int(c["prio"]), policy: policy)
    }

    static func rule(_ r: [String: Any], index: Int) throws(NftParseError) -> FirewallRule {
        var rule = FirewallRule(family: try string(r, "family", index: index), table: try string(r, "table", index: index),
                                chain: try string(r, "chain", index: index), handle: int(r["handle"]))
        var words: [String] = []
        for e in (r["expr"] as? [Any]) ?? [] {
            guard let expr = e as? [String: Any], let (key, body) = expr.first else { continue }
            switch key {
            case "match":
                guard let m = body as? [String: Any] else { continue }
                let match = self.match(m)
                rule.matches.append(match)
                words.append(text(of: match))
            case "accept": rule.verdict = .accept; words.append("accept")
            case "drop": rule.verdict = .drop; words.append("drop")
            case "reject": rule.verdict = .reject; words.append("reject")
            case "return": rule.verdict = .return; words.append("return")
            case "continue": rule.verdict = .continue; words.append("continue")
            case "queue": rule.verdict = .queue; words.append("queue")
            case "jump", "goto":
                let target = ((body as? [String: Any])?["target"] as? String) ?? "?"
                rule.verdict = key == "jump" ? .jump(target) : .goto(target)
                words.append("\(key) \(target)")
            case "counter", "log", "comment", "limit":
                if key == "counter" { words.append("counter") }
            case "xt":
                // iptables-nft: an extension libnftables cannot translate (physdev, conntrack).
                let x = body as? [String: Any]
                let desc = "xt \(x?["type"] as? String ?? "match") \(x?["name"] as? String ?? "?")"
                if (x?["type"] as? String) == "target" {
                    // An xt target: REJECT and friends still end the packet.
                    let name = (x?["name"] as? String ?? "").uppercased()
                    rule.verdict = name == "REJECT" ? .reject : rule.verdict
                    words.append(desc)
                } else {
                    rule.matches.append(FirewallMatch(field: .other(desc), op: .other, values: []))
                    words.append(desc)
                }
            default:
                // A statement that changes nothing about the verdict we can see (mangle,
                // nat, set update) or one we do not know: kept as text only.
                words.append(key)
            }
        }
        rule.text = words.joined(separator: " ")
        return rule
    }

    static func match(_ m: [String: Any]) -> FirewallMatch {
        let op: FirewallMatch.Op
        switch m["op"] as? String {
        case "=="?: op = .equal
        case "!="?: op = .notEqual
        case "in"?: op = .any
        default: op = .other
        }
        let field = self.field(m["left"])
        var theOp = op
        // A set on the right means "any of these".
        if let right = m["right"] as? [String: Any], right["set"] != nil, op == .equal { theOp = .any }
        return FirewallMatch(field: field, op: theOp, values: values(m["right"]))
    }

    static func field(_ left: Any?) -> FirewallMatch.Field {
        guard let l = left as? [String: Any], let (kind, body) = l.first, let b = body as? [String: Any] else {
            return .other("expression")
        }
        switch kind {
        case "meta":
            switch b["key"] as? String {
            case "iifname"?: return .iifname
            case "oifname"?: return .oifname
            case "ibrname"?: return .ibrname
            case "obrname"?: return .obrname
            case "nfproto"?, "protocol"?: return .l3proto
            case "l4proto"?: return .l4proto
            default: return .other("meta \(b["key"] as? String ?? "?")")
            }
        case "payload":
            let proto = b["protocol"] as? String ?? "?"
            let f = b["field"] as? String ?? "?"
            switch (proto, f) {
            case ("ip", "saddr"): return .ipSaddr
            case ("ip", "daddr"): return .ipDaddr
            case ("ip", "protocol"): return .l4proto
            case ("ether", "saddr"): return .etherSaddr
            case ("ether", "daddr"): return .etherDaddr
            case ("ether", "type"): return .l3proto
            case ("vlan", "id"): return .vlanID
            case ("icmp", "type"): return .icmpType
            case ("tcp", "dport"): return .tcpDport
            case ("udp", "dport"): return .udpDport
            default: return .other("\(proto) \(f)")
            }
        case "ct":
            if b["key"] as? String == "state" { return .ctState }
            return .other("ct \(b["key"] as? String ?? "?")")
        default:
            return .other(kind)
        }
    }

    static func values(_ right: Any?) -> [FirewallMatch.Value] {
        switch right {
        case let s as String: return [.text(s)]
        case let n as NSNumber: return [.number(n.intValue)]
        case let list as [Any]: return list.flatMap { values($0) }
        case let o as [String: Any]:
            if let set = o["set"] { return values(set) }
            if let p = o["prefix"] as? [String: Any], let a = p["addr"] as? String, let l = int(p["len"]) { return [.prefix(a, l)] }
            if let r = o["range"] as? [Any], r.count == 2 {
                let a = values(r[0]).first?.description ?? "?", b = values(r[1]).first?.description ?? "?"
                return [.range(a, b)]
            }
            return []
        default: return []
        }
    }

    /// The match as nft prints it, roughly: `iifname "vnet0"`, `ct state { established, related }`.
    static func text(of m: FirewallMatch) -> String {
        let left: String
        switch m.field {
        case .iifname: left = "iifname"
        case .oifname: left = "oifname"
        case .ibrname: left = "meta ibrname"
        case .obrname: left = "meta obrname"
        case .l3proto: left = "meta protocol"
        case .l4proto: left = "meta l4proto"
        case .ipSaddr: left = "ip saddr"
        case .ipDaddr: left = "ip daddr"
        case .etherSaddr: left = "ether saddr"
        case .etherDaddr: left = "ether daddr"
        case .ctState: left = "ct state"
        case .vlanID: left = "vlan id"
        case .icmpType: left = "icmp type"
        case .tcpDport: left = "tcp dport"
        case .udpDport: left = "udp dport"
        // iptables' physdev (never from nft, which shows it as an xt match).
        case .physdevIn: left = "physdev-in"
        case .physdevOut: left = "physdev-out"
        case .physdevIsBridged, .physdevIsIn, .physdevIsOut:
            let which = m.field == .physdevIsBridged ? "bridged" : m.field == .physdevIsIn ? "in" : "out"
            return (m.op == .notEqual ? "! " : "") + "physdev-is-" + which
        case .other(let d): return d
        }
        let quoted: (FirewallMatch.Value) -> String = { v in
            if case .text(let s) = v, [.iifname, .oifname, .ibrname, .obrname].contains(m.field) { return "\"\(s)\"" }
            return v.description
        }
        let right = m.values.count == 1 ? quoted(m.values[0]) : "{ " + m.values.map(quoted).joined(separator: ", ") + " }"
        return left + (m.op == .notEqual ? " != " : " ") + right
    }
}
