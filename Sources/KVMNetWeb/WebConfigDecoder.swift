import KVMNetYAML

/// Turns the text of a web config file into a validated ``WebConfig``, strictly like
/// exporter-toolkit: unknown fields are errors, TLS needs both a certificate and a key,
/// client CAs need a client auth policy, password hashes must be bcrypt hashes.
///
/// It reads no other file: whether the TLS files load is ``TLSContextFactory``'s concern.
public struct WebConfigDecoder: Sendable {
    /// The config file's name, for messages and to resolve relative names.
    public let file: String

    public init(file: String) { self.file = file }

    /// Decodes and validates `text`.
    public func decode(_ text: String) throws(WebConfigError) -> WebConfig {
        let root: YAMLNode
        do {
            root = try YAMLSubsetParser.parse(text)
        } catch {
            throw WebConfigError(file: file, line: error.line, problem: .syntax(error.message))
        }
        var config = WebConfig()
        let top = try mapping(root, field: "the file", allowNull: true)
        try checkKeys(top, section: "the top level", known: ["tls_server_config", "http_server_config", "basic_auth_users", "rate_limit"])
        for entry in top {
            switch entry.key {
            case "tls_server_config": config.tls = try tls(entry.value)
            case "http_server_config": (config.http2, config.headers) = try http(entry.value)
            case "basic_auth_users": config.basicAuthUsers = try users(entry.value)
            case "rate_limit": config.rateLimit = try rateLimit(entry.value)
            default: break
            }
        }
        return config
    }

    // MARK: sections

    private func tls(_ node: YAMLNode) throws(WebConfigError) -> TLSServerConfig? {
        let fields = try mapping(node, field: "tls_server_config", allowNull: true)
        try checkKeys(fields, section: "tls_server_config", known: [
            "cert_file", "key_file", "client_auth_type", "client_ca_file", "min_version", "max_version",
            "cipher_suites", "curve_preferences", "prefer_server_cipher_suites",
            "cert", "key", "client_ca", "client_allowed_sans",
        ])
        var certFile = "", keyFile = "", clientAuthName = "", caFile = ""
        var minVersion = TLSProtocolVersion.tls12, maxVersion = TLSProtocolVersion.tls13
        var ciphers: [UInt16] = [], curves: [UInt16] = []
        var preferServer = true
        for e in fields {
            let name = "tls_server_config.\(e.key)"
            switch e.key {
            case "cert_file": certFile = try string(e.value, field: name)
            case "key_file": keyFile = try string(e.value, field: name)
            case "client_auth_type": clientAuthName = try string(e.value, field: name)
            case "client_ca_file": caFile = try string(e.value, field: name)
            case "min_version": minVersion = try version(e.value, field: name)
            case "max_version": maxVersion = try version(e.value, field: name)
            case "cipher_suites":
                ciphers = try strings(e.value, field: name).map { (s, line) throws(WebConfigError) in
                    guard let id = TLSNames.cipherSuites[s] else {
                        throw WebConfigError(file: file, line: line, problem: .badValue(field: name, message: "unknown cipher \"\(s)\" (Go names, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)"))
                    }
                    return id
                }
            case "curve_preferences":
                curves = try strings(e.value, field: name).map { (s, line) throws(WebConfigError) in
                    guard let id = TLSNames.curves[s] else {
                        throw WebConfigError(file: file, line: line, problem: .badValue(field: name, message: "unknown curve \"\(s)\" (one of \(TLSNames.curves.keys.sorted().joined(separator: ", ")))"))
                    }
                    return id
                }
            case "prefer_server_cipher_suites": preferServer = try bool(e.value, field: name)
            case "cert", "key", "client_ca":
                if case .null = e.value { continue }
                throw WebConfigError(file: file, line: e.line, problem: .unsupported(field: name, hint: "put the PEM in a file and use \(e.key)_file"))
            case "client_allowed_sans":
                if case .null = e.value { continue }
                throw WebConfigError(file: file, line: e.line, problem: .unsupported(field: name, hint: "use client_auth_type: RequireAndVerifyClientCert with a client_ca_file that signs only the allowed clients"))
            default: break
            }
        }
        // exporter-toolkit's IsEnabled: any of these turns TLS on.
        guard !(certFile.isEmpty && keyFile.isEmpty && caFile.isEmpty && clientAuthName.isEmpty) else { return nil }
        let line = node.line
        guard !certFile.isEmpty else { throw WebConfigError(file: file, line: line, problem: .invalid("tls_server_config: missing cert_file")) }
        guard !keyFile.isEmpty else { throw WebConfigError(file: file, line: line, problem: .invalid("tls_server_config: missing key_file")) }
        let clientAuth: ClientAuthType
        switch clientAuthName {
        case "": clientAuth = .noClientCert
        case "RequireClientCert": clientAuth = .requireAnyClientCert  // exporter-toolkit's old name
        default:
            guard let c = ClientAuthType(rawValue: clientAuthName) else {
                throw WebConfigError(file: file, line: line, problem: .badValue(field: "tls_server_config.client_auth_type", message: "invalid \"\(clientAuthName)\" (one of \(ClientAuthType.allCases.map(\.rawValue).joined(separator: ", ")))"))
            }
            clientAuth = c
        }
        if !caFile.isEmpty && clientAuth == .noClientCert {
            throw WebConfigError(file: file, line: line, problem: .invalid("tls_server_config: client_ca_file is set but client_auth_type is NoClientCert (client CAs without a client auth policy); use RequireAndVerifyClientCert"))
        }
        if minVersion > maxVersion {
            throw WebConfigError(file: file, line: line, problem: .invalid("tls_server_config: min_version \(minVersion.rawValue) is above max_version \(maxVersion.rawValue)"))
        }
        return TLSServerConfig(certFile: resolve(certFile), keyFile: resolve(keyFile), clientAuth: clientAuth,
                               clientCAFile: caFile.isEmpty ? nil : resolve(caFile), minVersion: minVersion,
                               maxVersion: maxVersion, cipherSuites: ciphers, curves: curves,
                               preferServerCipherSuites: preferServer)
    }

    private func http(_ node: YAMLNode) throws(WebConfigError) -> (Bool, [(name: String, value: String)]) {
        let fields = try mapping(node, field: "http_server_config", allowNull: true)
        try checkKeys(fields, section: "http_server_config", known: ["http2", "headers"])
        var http2 = true
        var headers: [(name: String, value: String)] = []
        for e in fields {
            switch e.key {
            case "http2": http2 = try bool(e.value, field: "http_server_config.http2")
            case "headers":
                for h in try mapping(e.value, field: "http_server_config.headers", allowNull: true) {
                    let value = try string(h.value, field: "http_server_config.headers.\(h.key)")
                    guard let allowed = ResponseHeaderPolicy.allowed[h.key] else {
                        throw WebConfigError(file: file, line: h.line, problem: .badValue(field: "http_server_config.headers", message: "HTTP header \"\(h.key)\" can not be configured (one of \(ResponseHeaderPolicy.allowed.keys.sorted().joined(separator: ", ")))"))
                    }
                    if !allowed.isEmpty && !allowed.contains(value) {
                        throw WebConfigError(file: file, line: h.line, problem: .badValue(field: "http_server_config.headers.\(h.key)", message: "invalid value \"\(value)\" (one of \(allowed.joined(separator: ", ")))"))
                    }
                    if !value.isEmpty { headers.append((h.key, value)) }
                }
            default: break
            }
        }
        return (http2, headers)
    }

    private func users(_ node: YAMLNode) throws(WebConfigError) -> [String: String] {
        var users: [String: String] = [:]
        for e in try mapping(node, field: "basic_auth_users", allowNull: true) {
            let field = "basic_auth_users.\(e.key)"
            let hash = try string(e.value, field: field)
            do {
                try BcryptHash.validate(hash)
            } catch {
                throw WebConfigError(file: file, line: e.line, problem: .badValue(field: field, message: "\(error) (generate one with: htpasswd -nBC 10 \"\" | tr -d ':\\n')"))
            }
            users[e.key] = hash
        }
        return users
    }

    private func rateLimit(_ node: YAMLNode) throws(WebConfigError) -> RateLimitConfig? {
        let fields = try mapping(node, field: "rate_limit", allowNull: true)
        try checkKeys(fields, section: "rate_limit", known: ["interval", "burst"])
        var interval = 0.0, burst = 0
        for e in fields {
            switch e.key {
            case "interval":
                let text = try string(e.value, field: "rate_limit.interval")
                guard let seconds = GoDuration.seconds(text) else {
                    throw WebConfigError(file: file, line: e.line, problem: .badValue(field: "rate_limit.interval", message: "not a duration: \"\(text)\" (e.g. 1s, 500ms)"))
                }
                interval = seconds
            case "burst":
                let text = try string(e.value, field: "rate_limit.burst")
                guard let n = Int(text), n >= 0 else {
                    throw WebConfigError(file: file, line: e.line, problem: .badValue(field: "rate_limit.burst", message: "not a count: \"\(text)\""))
                }
                burst = n
            default: break
            }
        }
        guard interval > 0 else { return nil }
        guard burst > 0 else {
            throw WebConfigError(file: file, line: node.line, problem: .invalid("rate_limit: burst must be at least 1 when interval is set (0 would refuse every request)"))
        }
        return RateLimitConfig(intervalSeconds: interval, burst: burst)
    }

    // MARK: values

    private func mapping(_ node: YAMLNode, field: String, allowNull: Bool) throws(WebConfigError) -> [YAMLEntry] {
        switch node {
        case .mapping(let entries, _): return entries
        case .null where allowNull: return []
        default:
            throw WebConfigError(file: file, line: node.line, problem: .badValue(field: field, message: "expected a mapping of \"key: value\" lines, got \(node.kindName)"))
        }
    }

    private func checkKeys(_ entries: [YAMLEntry], section: String, known: [String]) throws(WebConfigError) {
        for e in entries where !known.contains(e.key) {
            throw WebConfigError(file: file, line: e.line, problem: .unknownField(field: e.key, section: section, known: known))
        }
    }

    private func string(_ node: YAMLNode, field: String) throws(WebConfigError) -> String {
        switch node {
        case .scalar(let s, _, _): return s
        case .null: return ""
        default:
            throw WebConfigError(file: file, line: node.line, problem: .badValue(field: field, message: "expected a single value, got \(node.kindName)"))
        }
    }

    private func strings(_ node: YAMLNode, field: String) throws(WebConfigError) -> [(String, Int)] {
        switch node {
        case .null: return []
        case .sequence(let items, _):
            var out: [(String, Int)] = []
            for item in items { out.append((try string(item, field: field), item.line)) }
            return out
        default:
            throw WebConfigError(file: file, line: node.line, problem: .badValue(field: field, message: "expected a list, got \(node.kindName)"))
        }
    }

    private func bool(_ node: YAMLNode, field: String) throws(WebConfigError) -> Bool {
        let text = try string(node, field: field)
        switch text {
        case "true", "True", "TRUE", "yes", "Yes", "on", "On": return true
        case "false", "False", "FALSE", "no", "No", "off", "Off": return false
        default:
            throw WebConfigError(file: file, line: node.line, problem: .badValue(field: field, message: "expected true or false, got \"\(text)\""))
        }
    }

    private func version(_ node: YAMLNode, field: String) throws(WebConfigError) -> TLSProtocolVersion {
        let text = try string(node, field: field)
        guard let v = TLSProtocolVersion(rawValue: text) else {
            throw WebConfigError(file: file, line: node.line, problem: .badValue(field: field, message: "unknown TLS version \"\(text)\" (one of \(TLSProtocolVersion.allCases.map(\.rawValue).joined(separator: ", ")))"))
        }
        return v
    }

    /// A file name relative to the config file's directory, as exporter-toolkit resolves them.
    private func resolve(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        guard let slash = file.lastIndex(of: "/") else { return path }
        return String(file[...slash]) + path
    }
}

/// The response headers `http_server_config.headers` may set, and their allowed values
/// (empty: any), as exporter-toolkit has them.
enum ResponseHeaderPolicy {
    static let allowed: [String: [String]] = [
        "Strict-Transport-Security": [],
        "X-Content-Type-Options": ["nosniff"],
        "X-Frame-Options": ["deny", "sameorigin"],
        "X-XSS-Protection": [],
        "Content-Security-Policy": [],
    ]
}

/// Go's names for TLS cipher suites and curves (what exporter-toolkit accepts), with
/// their IANA code points.
enum TLSNames {
    static let cipherSuites: [String: UInt16] = [
        "TLS_RSA_WITH_AES_128_CBC_SHA": 0x002F,
        "TLS_RSA_WITH_AES_256_CBC_SHA": 0x0035,
        "TLS_RSA_WITH_AES_128_GCM_SHA256": 0x009C,
        "TLS_RSA_WITH_AES_256_GCM_SHA384": 0x009D,
        "TLS_AES_128_GCM_SHA256": 0x1301,
        "TLS_AES_256_GCM_SHA384": 0x1302,
        "TLS_CHACHA20_POLY1305_SHA256": 0x1303,
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA": 0xC009,
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA": 0xC00A,
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": 0xC013,
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA": 0xC014,
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": 0xC02B,
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": 0xC02C,
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": 0xC02F,
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": 0xC030,
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256": 0xCCA8,
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": 0xCCA9,
        // Go's older aliases.
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305": 0xCCA8,
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305": 0xCCA9,
    ]

    static let curves: [String: UInt16] = [
        "CurveP256": 0x17,
        "CurveP384": 0x18,
        "CurveP521": 0x19,
        "X25519": 0x1D,
    ]
}

/// Go's `time.ParseDuration` for the units a config uses.
enum GoDuration {
    static func seconds(_ text: String) -> Double? {
        if text == "0" { return 0 }
        var rest = Substring(text)
        var total = 0.0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { !$0.isNumber && $0 != "." }
            rest = rest.dropFirst(unit.count)
            let scale: Double
            switch unit {
            case "ns": scale = 1e-9
            case "us", "µs", "μs": scale = 1e-6
            case "ms": scale = 1e-3
            case "s": scale = 1
            case "m": scale = 60
            case "h": scale = 3600
            default: return nil
            }
            total += value * scale
        }
        return total
    }
}
