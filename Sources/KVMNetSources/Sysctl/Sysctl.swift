/// One sysctl value as read from `<procfs>/sys/...`.
public struct SysctlValue: Sendable, Hashable, Codable {
    /// Dotted name: `net.ipv4.ip_forward`.
    public var key: String
    /// The file it was read from.
    public var path: String
    /// The trimmed content: `0`, `1`.
    public var value: String

    public init(key: String, path: String, value: String) {
        self.key = key
        self.path = path
        self.value = value
    }

    /// The value as an integer.
    public var intValue: Int? { Int(value) }
}

/// The sysctls the checks read, and how to find their files.
public enum Sysctl {
    public static let ipForward = "net.ipv4.ip_forward"
    public static let ipv6Forwarding = "net.ipv6.conf.all.forwarding"
    public static let bridgeNFIptables = "net.bridge.bridge-nf-call-iptables"
    public static let bridgeNFIp6tables = "net.bridge.bridge-nf-call-ip6tables"
    public static let bridgeNFArptables = "net.bridge.bridge-nf-call-arptables"

    /// Every sysctl the snapshot collects.
    public static let all = [ipForward, ipv6Forwarding, bridgeNFIptables, bridgeNFIp6tables, bridgeNFArptables]

    /// The sysctls that may be absent without it being an error (br_netfilter not loaded,
    /// IPv6 disabled).
    public static let optional: Set<String> = [ipv6Forwarding, bridgeNFIptables, bridgeNFIp6tables, bridgeNFArptables]

    /// `<procfs>/sys/net/ipv4/ip_forward` for `net.ipv4.ip_forward`.
    public static func path(of key: String, procfsRoot: String) -> String {
        HostFiles.join(procfsRoot, "sys/" + key.replacingDots())
    }

    /// Reads the given sysctls. Absent optional ones are left out; unreadable ones are errors.
    public static func read(_ keys: [String] = all, procfsRoot: String) -> (values: [String: SysctlValue], errors: [SourceError]) {
        var values: [String: SysctlValue] = [:]
        var errors: [SourceError] = []
        for key in keys {
            let path = path(of: key, procfsRoot: procfsRoot)
            switch HostFiles.load(path, source: .sysctl) {
            case .text(let text):
                values[key] = SysctlValue(key: key, path: path, value: text.trimmedWhitespace())
            case .absent:
                if !optional.contains(key) {
                    errors.append(SourceError(source: .sysctl, path: path, kind: .missing, message: "No such file or directory"))
                }
            case .failed(let error):
                errors.append(error)
            }
        }
        return (values, errors)
    }
}

extension String {
    /// `net.bridge.bridge-nf-call-iptables` -> `net/bridge/bridge-nf-call-iptables`.
    func replacingDots() -> String { String(map { $0 == "." ? "/" : $0 }) }

    /// The string without leading and trailing spaces, tabs and newlines.
    func trimmedWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[start...end])
    }
}
