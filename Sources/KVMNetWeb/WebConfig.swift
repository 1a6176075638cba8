/// The contents of a `--web.config.file`: the Prometheus exporter-toolkit format
/// (https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md).
///
/// Relative file names are already resolved against the directory of the config file.
public struct WebConfig: Sendable, Equatable {
    /// TLS settings; `nil` serves plain HTTP (no field of `tls_server_config` set).
    public var tls: TLSServerConfig?
    /// Extra response headers (`http_server_config.headers`), validated.
    public var headers: [(name: String, value: String)]
    /// `http_server_config.http2`; accepted for compatibility, the agent serves HTTP/1.1.
    public var http2: Bool
    /// User name -> bcrypt hash; empty: no basic authentication.
    public var basicAuthUsers: [String: String]
    /// `rate_limit`; `nil` or an interval of 0: no limit.
    public var rateLimit: RateLimitConfig?

    public init(tls: TLSServerConfig? = nil, headers: [(name: String, value: String)] = [], http2: Bool = true,
                basicAuthUsers: [String: String] = [:], rateLimit: RateLimitConfig? = nil) {
        self.tls = tls
        self.headers = headers
        self.http2 = http2
        self.basicAuthUsers = basicAuthUsers
        self.rateLimit = rateLimit
    }

    public static func == (a: WebConfig, b: WebConfig) -> Bool {
        a.tls == b.tls && a.http2 == b.http2 && a.basicAuthUsers == b.basicAuthUsers && a.rateLimit == b.rateLimit
            && a.headers.map { "\($0.name)\u{0}\($0.value)" } == b.headers.map { "\($0.name)\u{0}\($0.value)" }
    }
}

/// `tls_server_config`.
public struct TLSServerConfig: Sendable, Equatable {
    public var certFile: String
    public var keyFile: String
    public var clientAuth: ClientAuthType
    /// CA bundle that client certificates must chain to; `nil`: the system's trust store.
    public var clientCAFile: String?
    public var minVersion: TLSProtocolVersion
    public var maxVersion: TLSProtocolVersion
    /// IANA code points, in preference order; empty: the TLS library's defaults.
    public var cipherSuites: [UInt16]
    /// TLS named-group code points, in preference order; empty: the defaults.
    public var curves: [UInt16]
    /// Accepted for compatibility; the TLS library always prefers the server's order.
    public var preferServerCipherSuites: Bool

    public init(certFile: String, keyFile: String, clientAuth: ClientAuthType = .noClientCert,
                clientCAFile: String? = nil, minVersion: TLSProtocolVersion = .tls12,
                maxVersion: TLSProtocolVersion = .tls13, cipherSuites: [UInt16] = [], curves: [UInt16] = [],
                preferServerCipherSuites: Bool = true) {
        self.certFile = certFile
        self.keyFile = keyFile
        self.clientAuth = clientAuth
        self.clientCAFile = clientCAFile
        self.minVersion = minVersion
        self.maxVersion = maxVersion
        self.cipherSuites = cipherSuites
        self.curves = curves
        self.preferServerCipherSuites = preferServerCipherSuites
    }

    /// Every file the TLS setup reads (watched for changes).
    public var files: [String] { [certFile, keyFile] + (clientCAFile.map { [$0] } ?? []) }
}

/// `client_auth_type`: the names and meanings of Go's `crypto/tls.ClientAuthType`.
public enum ClientAuthType: String, Sendable, CaseIterable {
    /// No client certificate is asked for.
    case noClientCert = "NoClientCert"
    /// One is asked for; none is required, and one given is not verified.
    case requestClientCert = "RequestClientCert"
    /// One is required, but it is not verified.
    case requireAnyClientCert = "RequireAnyClientCert"
    /// None is required; one given must chain to `client_ca_file`.
    case verifyClientCertIfGiven = "VerifyClientCertIfGiven"
    /// One is required and must chain to `client_ca_file`: the only secure client authentication.
    case requireAndVerifyClientCert = "RequireAndVerifyClientCert"
}

/// `min_version` / `max_version`.
public enum TLSProtocolVersion: String, Sendable, CaseIterable, Comparable {
    case tls10 = "TLS10"
    case tls11 = "TLS11"
    case tls12 = "TLS12"
    case tls13 = "TLS13"

    var rank: Int {
        switch self {
        case .tls10: return 0
        case .tls11: return 1
        case .tls12: return 2
        case .tls13: return 3
        }
    }

    public static func < (a: TLSProtocolVersion, b: TLSProtocolVersion) -> Bool { a.rank < b.rank }
}

/// `rate_limit`: a token bucket over all requests.
public struct RateLimitConfig: Sendable, Equatable {
    /// Seconds between two requests on average; 0 disables the limit.
    public var intervalSeconds: Double
    /// Requests allowed at once.
    public var burst: Int

    public init(intervalSeconds: Double, burst: Int) {
        self.intervalSeconds = intervalSeconds
        self.burst = burst
    }
}
