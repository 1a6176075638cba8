/// What to diagnose, and with which thresholds.
public struct DiagRequest: Sendable, Hashable, Codable {
    /// The three kinds of diagnosis.
    public enum Target: Sendable, Hashable {
        /// Every check on the whole host.
        case host
        /// Can `from` reach `to`? Each is a domain name, interface name, MAC or IP address.
        case path(from: String, to: String)
        /// `from`'s way out: uplink, bond, routes, forwarding.
        case external(from: String)
    }

    public var target: Target
    public var options: DiagOptions

    public init(_ target: Target = .host, options: DiagOptions = DiagOptions()) {
        self.target = target
        self.options = options
    }

    public var mode: DiagMode {
        switch target {
        case .host: return .host
        case .path: return .path
        case .external: return .external
        }
    }

    public var from: String? {
        switch target {
        case .host: return nil
        case .path(let from, _), .external(let from): return from
        }
    }

    public var to: String? {
        if case .path(_, let to) = target { return to }
        return nil
    }

    enum CodingKeys: String, CodingKey { case mode, from, to, options }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(mode, forKey: .mode)
        try c.encode(from, forKey: .from)
        try c.encode(to, forKey: .to)
        try c.encode(options, forKey: .options)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let mode = try c.decode(DiagMode.self, forKey: .mode)
        let from = try c.decodeIfPresent(String.self, forKey: .from)
        let to = try c.decodeIfPresent(String.self, forKey: .to)
        options = try c.decodeIfPresent(DiagOptions.self, forKey: .options) ?? DiagOptions()
        switch (mode, from, to) {
        case (.host, _, _): target = .host
        case (.path, let f?, let t?): target = .path(from: f, to: t)
        case (.external, let f?, _): target = .external(from: f)
        default:
            throw DecodingError.dataCorruptedError(forKey: .from, in: c, debugDescription: "\(mode.rawValue) needs from (and to for path)")
        }
    }
}
