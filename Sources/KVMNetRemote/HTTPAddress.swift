/// A parsed `http(s)://host[:port][/path]` address.
public struct HTTPAddress: Sendable, Hashable, CustomStringConvertible {
    public var tls: Bool
    public var host: String
    public var port: Int
    /// The path prefix, without a trailing `/` (empty for the root).
    public var basePath: String

    public init(tls: Bool, host: String, port: Int, basePath: String = "") {
        self.tls = tls
        self.host = host
        self.port = port
        self.basePath = basePath
    }

    /// `http://h:p/x`, `https://[::1]:p`; `HOST:PORT` alone (a `--peer`) is `http`, or
    /// `https` with `tlsByDefault`.
    public init(parsing text: String, tlsByDefault: Bool = false) throws(RemoteError) {
        var rest = Substring(text)
        if rest.hasPrefix("http://") { tls = false; rest = rest.dropFirst(7) }
        else if rest.hasPrefix("https://") { tls = true; rest = rest.dropFirst(8) }
        else if rest.contains("://") { throw .badAddress(text, why: "only http:// and https:// are supported") }
        else { tls = tlsByDefault }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        var path = String(rest[slash...])
        while path.hasSuffix("/") { path.removeLast() }
        basePath = path
        guard !authority.contains("@") else { throw .badAddress(text, why: "credentials in the URL: put them in --http.config") }
        let hostPart: Substring, portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .badAddress(text, why: "unclosed [ in the host") }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            portPart = after.hasPrefix(":") ? after.dropFirst() : (after.isEmpty ? nil : after)
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        } else {
            hostPart = authority
            portPart = nil
        }
        guard !hostPart.isEmpty, hostPart.allSatisfy({ $0.isLetter || $0.isNumber || ".-_:%".contains($0) }) else {
            throw .badAddress(text, why: "no host name or address")
        }
        host = String(hostPart)
        if let portPart {
            guard let p = Int(portPart), (1...65535).contains(p) else { throw .badAddress(text, why: "the port must be 1-65535") }
            port = p
        } else {
            port = tls ? 443 : 80
        }
    }

    /// The URL of `path` (which starts with `/`) under this address.
    public func url(_ path: String) -> String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "\(tls ? "https" : "http")://\(h):\(port)\(basePath)\(path)"
    }

    public var description: String { url("") }
}
