/// Pure parsers that recover interface addresses from procfs when the netlink dump is
/// not used: IPv6 from `/proc/net/if_inet6`, IPv4 from the `LOCAL` host entries of
/// `/proc/net/fib_trie` matched to the connected routes of `/proc/net/route`.
public enum AddressTableParser {
    /// `[interface: ["fe80::1/64", ...]]` from `/proc/net/if_inet6`.
    public static func parseIfInet6(_ text: String) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for line in text.split(separator: "\n") {
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard f.count >= 6, f[0].count == 32, let prefix = Int(f[2], radix: 16) else { continue }
            let hex = Array(f[0])
            var groups: [String] = []
            for g in stride(from: 0, to: 32, by: 4) {
                let group = String(hex[g..<g + 4]).drop { $0 == "0" }
                groups.append(group.isEmpty ? "0" : String(group))
            }
            out[String(f[5]), default: []].append(compress(groups) + "/\(prefix)")
        }
        return out
    }

    /// Local IPv4 addresses (`/32 host LOCAL` entries) listed in `/proc/net/fib_trie`.
    public static func parseLocalAddresses(fibTrie text: String) -> Set<IPv4> {
        var out: Set<IPv4> = []
        var last: IPv4?
        for line in text.split(separator: "\n") {
            let trimmed = line.drop { $0 == " " || $0 == "|" || $0 == "-" || $0 == "+" }
            if trimmed.hasPrefix("/32 host LOCAL"), let address = last {
                out.insert(address)
            } else if let address = IPv4(trimmed.split(separator: " ").first ?? "") {
                last = address
            }
        }
        return out
    }

    /// Assigns each local address to the interface whose connected route (no gateway)
    /// contains it, with that route's prefix: `[interface: ["10.0.0.5/24"]]`. Loopback
    /// addresses are left out.
    public static func ipv4Addresses(local: Set<IPv4>, routes: [Route]) -> [String: [String]] {
        var out: [String: [String]] = [:]
        let connected = routes.filter { !$0.viaGateway && !$0.isDefault }
        for address in local.sorted() where address.value >> 24 != 127 {
            let best = connected
                .filter { $0.subnet?.contains(address) == true }
                .max { $0.prefixLength < $1.prefixLength }
            if let route = best {
                out[route.interface, default: []].append("\(address)/\(route.prefixLength)")
            }
        }
        return out
    }

    /// RFC 5952 style: the longest run of two or more zero groups becomes `::`.
    private static func compress(_ groups: [String]) -> String {
        var bestStart = -1, bestLength = 0, start = -1
        for (i, g) in groups.enumerated() {
            if g == "0" {
                if start < 0 { start = i }
                if i - start + 1 > bestLength { bestStart = start; bestLength = i - start + 1 }
            } else {
                start = -1
            }
        }
        guard bestLength >= 2 else { return groups.joined(separator: ":") }
        let head = groups[..<bestStart].joined(separator: ":")
        let tail = groups[(bestStart + bestLength)...].joined(separator: ":")
        return head + "::" + tail
    }
}
