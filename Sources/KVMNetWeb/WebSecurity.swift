import KVMNetLock
import Logging
import NIOSSL

/// TLS, basic authentication, response headers and rate limiting from a
/// `--web.config.file`, compatible with the Prometheus exporter-toolkit. The file is
/// watched: each new connection and each request sees its current version.
public final class WebSecurity: Sendable {
    /// The config file.
    public let path: String
    private let store: WebConfigStore
    private let authenticator: Locked<BasicAuthenticator?>
    private let limiter = Locked<RateLimiter?>(nil)
    private let logger: Logger

    /// What to do with a new connection.
    enum ConnectionSetup {
        case plain
        case tls(NIOSSLServerHandler)
        /// The config does not load now: every request gets 500.
        case refuse(WebConfigError)
    }

    /// Loads and checks the file and every file it names.
    /// - Throws: ``WebConfigError`` naming the file and what is wrong.
    public init(configFile: String, logger: Logger) throws(WebConfigError) {
        self.path = configFile
        self.logger = logger
        store = try WebConfigStore(path: configFile) { [logger] result in
            switch result {
            case .success(let l): logger.info("web config reloaded", metadata: ["file": "\(configFile)", "settings": "\(Self.summary(l.config))"])
            case .failure(let e): logger.error("web config no longer loads; refusing requests until it is fixed", metadata: ["error": "\(e)"])
            }
        }
        var authenticator: BasicAuthenticator?
        if case .success(let l) = store.current(), !l.config.basicAuthUsers.isEmpty {
            do {
                authenticator = BasicAuthenticator(verifier: try BcryptVerifier())
            } catch {
                throw WebConfigError(file: configFile, problem: .invalid("basic_auth_users needs bcrypt: \(error)"))
            }
        }
        self.authenticator = Locked(authenticator)
    }

    /// One line for the log: what the file turns on.
    public var summary: String {
        switch store.current() {
        case .success(let l): return Self.summary(l.config)
        case .failure(let e): return "not loadable: \(e)"
        }
    }

    static func summary(_ c: WebConfig) -> String {
        var parts: [String] = []
        if let t = c.tls {
            parts.append("TLS on (\(t.minVersion.rawValue)-\(t.maxVersion.rawValue), client auth \(t.clientAuth.rawValue))")
        } else {
            parts.append("TLS off")
        }
        parts.append(c.basicAuthUsers.isEmpty ? "basic auth off" : "basic auth on (\(c.basicAuthUsers.count) users)")
        if let r = c.rateLimit { parts.append("rate limit \(r.burst) per \(r.intervalSeconds)s") }
        return parts.joined(separator: ", ")
    }

    /// Decides how a new connection starts.
    func setupConnection() -> ConnectionSetup {
        switch store.current() {
        case .success(let l): return l.tls.map { .tls($0.makeHandler()) } ?? .plain
        case .failure(let e): return .refuse(e)
        }
    }

    /// Checks a request before it is routed.
    /// - Returns: headers to add to the response, and a response that replaces the
    ///   route's when the request is refused (401, 429, 500).
    func admit(_ request: WebRequest, overTLS: Bool) -> (headers: [(name: String, value: String)], refusal: WebResponse?) {
        let loaded: LoadedWebConfig
        switch store.current() {
        case .success(let l): loaded = l
        case .failure:
            return ([], Self.plain(500, "Internal Server Error"))
        }
        let config = loaded.config
        if config.tls != nil && !overTLS {
            // The file turned TLS on while this plain connection was open.
            return ([], Self.plain(500, "Internal Server Error", close: true))
        }
        if let refusal = rateLimited(config.rateLimit) { return (config.headers, refusal) }
        guard !config.basicAuthUsers.isEmpty else { return (config.headers, nil) }
        guard let auth = basicAuthenticator() else { return (config.headers, Self.plain(500, "Internal Server Error")) }
        if auth.authenticate(authorization: request.header("Authorization"), users: config.basicAuthUsers) {
            return (config.headers, nil)
        }
        var refusal = Self.plain(401, "Unauthorized")
        refusal.headers.append(("WWW-Authenticate", "Basic"))
        return (config.headers, refusal)
    }

    private func rateLimited(_ config: RateLimitConfig?) -> WebResponse? {
        let current: RateLimiter? = limiter.withLock { l in
            guard let config else { l = nil; return nil }
            if l?.config != config { l = RateLimiter(config) }
            return l
        }
        guard let current, !current.allow() else { return nil }
        return Self.plain(429, "Too Many Requests")
    }

    /// The authenticator, made on first need (users added to a file that had none).
    private func basicAuthenticator() -> BasicAuthenticator? {
        authenticator.withLock { a in
            if a == nil {
                do {
                    a = BasicAuthenticator(verifier: try BcryptVerifier())
                } catch {
                    logger.error("basic_auth_users needs bcrypt", metadata: ["error": "\(error)"])
                }
            }
            return a
        }
    }

    private static func plain(_ status: Int, _ text: String, close: Bool = false) -> WebResponse {
        WebResponse(status: status, contentType: "text/plain; charset=utf-8", text: text + "\n",
                    headers: close ? [("Connection", "close")] : [])
    }
}
