import KVMNetYAML

/// How kvmnet-diag talks to agents and to Prometheus over HTTP (`--http.config FILE`):
/// the subset of Prometheus' HTTP client configuration (`http_config` of a scrape config,
/// as `promtool` and Grafana agents read it) a read-only client needs.
///
///     basic_auth:
///       username: diag
///       password_file: /etc/kvmnet/diag-password
///     tls_config:
///       ca_file: /etc/kvmnet/ca.pem
///       cert_file: /etc/kvmnet/client.pem
///       key_file: /etc/kvmnet/client-key.pem
///       server_name: agent.example.org
///       insecure_skip_verify: false
///
/// `authorization` (`type`, default `Bearer`, with `credentials` or `credentials_file`)
/// instead of `basic_auth` sends a token. Files named relative are read relative to the
/// config file's directory, as Prometheus does.
public struct HTTPClientConfig: Sendable, Equatable {
    public struct BasicAuth: Sendable, Equatable {
        public var username: String
        public var password: String
        public init(username: String, password: String) { self.username = username; self.password = password }
    }
    public struct Authorization: Sendable, Equatable {
        public var type: String
        public var credentials: String
        public init(type: String, credentials: String) { self.type = type; self.credentials = credentials }
    }
    public struct TLS: Sendable, Equatable {
        public var caFile: String?
        public var certFile: String?
        public var keyFile: String?
        public var serverName: String?
        public var insecureSkipVerify = false
    }

    public var basicAuth: BasicAuth?
    public var authorization: Authorization?
    public var tls = TLS()

    public init() {}

    /// The `Authorization` header value, if any.
    public var authorizationHeader: String? {
        if let basicAuth {
            return "Basic " + Base64.encode(Array("\(basicAuth.username):\(basicAuth.password)".utf8))
        }
        if let authorization { return "\(authorization.type) \(authorization.credentials)" }
        return nil
    }
}

/// Why an `--http.config` file cannot be used; names the file and, where there is one,
/// the line.
public struct HTTPClientConfigError: Error, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var message: String

    public init(file: String, line: Int? = nil, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { "http client config \(line.map { "\(file):\($0)" } ?? file): \(message)" }
}

/// Reads an ``HTTPClientConfig`` from text, strictly: unknown fields are errors, fields of
/// Prometheus' format this client does not implement (`oauth2`, `proxy_url`...) say so.
public struct HTTPClientConfigDecoder: Sendable {
    public let file: String
    /// Reads a file named in the config (`password_file`, `credentials_file`); relative
    /// names are already resolved against the config's directory.
    public var readFile: @Sendable (String) throws -> String

    public init(file: String, readFile: @escaping @Sendable (String) throws -> String) {
        self.file = file
        self.readFile = readFile
    }

    static let topKeys = ["basic_auth", "authorization", "bearer_token", "bearer_token_file", "tls_config",
                          "follow_redirects", "enable_http2", "oauth2", "proxy_url", "no_proxy",
                          "proxy_from_environment", "proxy_connect_header"]
    static let unsupported = ["oauth2", "proxy_url", "no_proxy", "proxy_from_environment", "proxy_connect_header"]

    public func decode(_ text: String) throws(HTTPClientConfigError) -> HTTPClientConfig {
        let root: YAMLNode
        do {
            root = try YAMLSubsetParser.parse(text)
        } catch {
            throw HTTPClientConfigError(file: file, line: error.line, message: "not valid YAML: \(error.message)")
        }
        var config = HTTPClientConfig()
        for entry in try mapping(root, field: "the file") {
            guard Self.topKeys.contains(entry.key) else {
                throw fail(entry.line, "unknown field \"\(entry.key)\" (known: \(Self.topKeys.joined(separator: ", ")))")
            }
            guard !Self.unsupported.contains(entry.key) else {
                throw fail(entry.line, "\(entry.key) is not supported by kvmnet-diag (use basic_auth, authorization or tls_config)")
            }
            switch entry.key {
            case "basic_auth":
                var user = "", password = ""
                for e in try mapping(entry.value, field: "basic_auth") {
                    switch e.key {
                    case "username": user = try string(e.value, field: "basic_auth.username")
                    case "username_file": user = try contents(e.value, field: "basic_auth.username_file")
                    case "password": password = try string(e.value, field: "basic_auth.password")
                    case "password_file": password = try contents(e.value, field: "basic_auth.password_file")
                    default: throw fail(e.line, "unknown field \"\(e.key)\" in basic_auth (known: username, username_file, password, password_file)")
                    }
                }
                guard !user.isEmpty else { throw fail(entry.line, "basic_auth needs a username") }
                config.basicAuth = .init(username: user, password: password)
            case "authorization":
                var type = "Bearer", credentials = ""
                for e in try mapping(entry.value, field: "authorization") {
                    switch e.key {
                    case "type": type = try string(e.value, field: "authorization.type")
                    case "credentials": credentials = try string(e.value, field: "authorization.credentials")
                    case "credentials_file": credentials = try contents(e.value, field: "authorization.credentials_file")
                    default: throw fail(e.line, "unknown field \"\(e.key)\" in authorization (known: type, credentials, credentials_file)")
                    }
                }
                guard type.lowercased() != "basic" else { throw fail(entry.line, "authorization type Basic: use basic_auth") }
                config.authorization = .init(type: type, credentials: credentials)
            case "bearer_token":
                config.authorization = .init(type: "Bearer", credentials: try string(entry.value, field: "bearer_token"))
            case "bearer_token_file":
                config.authorization = .init(type: "Bearer", credentials: try contents(entry.value, field: "bearer_token_file"))
            case "tls_config":
                for e in try mapping(entry.value, field: "tls_config") {
                    let field = "tls_config.\(e.key)"
                    switch e.key {
                    case "ca_file": config.tls.caFile = try string(e.value, field: field)
                    case "cert_file": config.tls.certFile = try string(e.value, field: field)
                    case "key_file": config.tls.keyFile = try string(e.value, field: field)
                    case "server_name": config.tls.serverName = try string(e.value, field: field)
                    case "insecure_skip_verify": config.tls.insecureSkipVerify = try bool(e.value, field: field)
                    case "min_version", "max_version": _ = try string(e.value, field: field)  // TLS 1.2+ always
                    default: throw fail(e.line, "unknown field \"\(e.key)\" in tls_config (known: ca_file, cert_file, key_file, server_name, insecure_skip_verify, min_version, max_version)")
                    }
                }
                if (config.tls.certFile == nil) != (config.tls.keyFile == nil) {
                    throw fail(entry.line, "tls_config needs both cert_file and key_file for a client certificate, or neither")
                }
            default:
                _ = try bool(entry.value, field: entry.key)  // follow_redirects, enable_http2: accepted, HTTP/1.1 without redirects
            }
        }
        if config.basicAuth != nil && config.authorization != nil {
            throw fail(nil, "basic_auth and authorization (or bearer_token) are mutually exclusive")
        }
        return config
    }

    private func fail(_ line: Int?, _ message: String) -> HTTPClientConfigError {
        HTTPClientConfigError(file: file, line: line, message: message)
    }

    private func mapping(_ node: YAMLNode, field: String) throws(HTTPClientConfigError) -> [YAMLEntry] {
        switch node {
        case .mapping(let entries, _): return entries
        case .null: return []
        default: throw fail(node.line, "\(field): expected a mapping of \"key: value\" lines, got \(node.kindName)")
        }
    }

    private func string(_ node: YAMLNode, field: String) throws(HTTPClientConfigError) -> String {
        switch node {
        case .scalar(let s, _, _): return s
        case .null: return ""
        default: throw fail(node.line, "\(field): expected a single value, got \(node.kindName)")
        }
    }

    private func bool(_ node: YAMLNode, field: String) throws(HTTPClientConfigError) -> Bool {
        switch try string(node, field: field) {
        case "true", "True", "TRUE", "yes", "on": return true
        case "false", "False", "FALSE", "no", "off", "": return false
        case let other: throw fail(node.line, "\(field): expected true or false, got \"\(other)\"")
        }
    }

    /// The file's text without its final line break (Prometheus trims it too).
    private func contents(_ node: YAMLNode, field: String) throws(HTTPClientConfigError) -> String {
        let path = try string(node, field: field)
        do {
            var text = try readFile(path)
            while text.last == "\n" || text.last == "\r" { text.removeLast() }
            return text
        } catch {
            throw fail(node.line, "\(field): cannot read \(path): \(error)")
        }
    }
}
