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

    /// The target in its JSON form, `{"mode", "from", "to"}`: set together, by the
    /// initialiser or the (validating) decoder, so that they always name one ``target``.
    public private(set) var mode: DiagMode
    public private(set) var from: String?
    public private(set) var to: String?
    public var options: DiagOptions

    public init(_ target: Target = .host, options: DiagOptions = DiagOptions()) {
        switch target {
        case .host: (mode, from, to) = (.host, nil, nil)
        case .path(let a, let b): (mode, from, to) = (.path, a, b)
        case .external(let a): (mode, from, to) = (.external, a, nil)
        }
        self.options = options
    }

    public var target: Target {
        switch (mode, from, to) {
        case (.path, let a?, let b?): return .path(from: a, to: b)
        case (.external, let a?, _): return .external(from: a)
        default: return .host
        }
    }

    enum CodingKeys: String, CodingKey { case mode, from, to, options }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let mode = try c.decode(DiagMode.self, forKey: .mode)
        let from = try c.decodeIfPresent(String.self, forKey: .from)
        let to = try c.decodeIfPresent(String.self, forKey: .to)
        let options = try c.decodeIfPresent(DiagOptions.self, forKey: .options) ?? DiagOptions()
        switch (mode, from, to) {
        case (.host, _, _): self.init(.host, options: options)
        case (.path, let f?, let t?): self.init(.path(from: f, to: t), options: options)
        case (.external, let f?, _): self.init(.external(from: f), options: options)
        default:
            throw DecodingError.dataCorruptedError(forKey: .from, in: c, debugDescription: "\(mode.rawValue) needs from (and to for path)")
        }
    }
}
