import Testing
@testable import KVMNetWeb
import KVMNetYAML

/// The YAML subset and the exporter-toolkit schema, in memory.
struct WebConfigTests {
    let decoder = WebConfigDecoder(file: "/etc/kvmnet/web.yml")

    func decode(_ text: String) throws(WebConfigError) -> WebConfig { try decoder.decode(text) }

    func error(_ text: String) -> WebConfigError? {
        do {
            _ = try decode(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func exporterToolkitSampleFile() throws {
        // docs/web-config.yml of exporter-toolkit, with its comments.
        let c = try decode("""
            # TLS and basic authentication configuration example.
            #
            # Additionally, a certificate and a key file are needed.
            tls_server_config:
              cert_file: server.crt
              key_file: server.key

            # Usernames and passwords required to connect.
            # Passwords are hashed with bcrypt: https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md#about-bcrypt.
            basic_auth_users:
              alice: $2y$10$mDwo.lAisC94iLAyP81MCesa29IzH37oigHC/42V2pdJlUprsJPze
              bob: $2y$10$hLqFl9jSjoAAy95Z/zw8Ye8wkdMBM8c5Bn1ptYqP/AXyV0.oy0S8m

            # Rate limiting requests on the endpoint using a token bucket
            rate_limit:
              interval: "1s" # time interval between two requests, set to 0 to disable rate limiter
              burst: 20 # and permits a burst of up to 20 requests.
            """)
        #expect(c.tls?.certFile == "/etc/kvmnet/server.crt")
        #expect(c.tls?.keyFile == "/etc/kvmnet/server.key")
        #expect(c.tls?.clientAuth == .noClientCert)
        #expect(c.tls?.minVersion == .tls12)
        #expect(c.tls?.maxVersion == .tls13)
        #expect(c.basicAuthUsers.count == 2)
        #expect(c.basicAuthUsers["bob"] == "$2y$10$hLqFl9jSjoAAy95Z/zw8Ye8wkdMBM8c5Bn1ptYqP/AXyV0.oy0S8m")
        #expect(c.rateLimit == RateLimitConfig(intervalSeconds: 1, burst: 20))
    }

    @Test func everyTLSField() throws {
        let c = try decode("""
            ---
            tls_server_config:
              cert_file: "/pki/server cert.pem"
              key_file: '/pki/it''s.key'
              client_auth_type: "RequireAndVerifyClientCert"
              client_ca_file: ca.pem
              min_version: TLS13
              max_version: TLS13
              cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "TLS_AES_128_GCM_SHA256"]
              curve_preferences:
                - X25519
                - CurveP256
              prefer_server_cipher_suites: false
            http_server_config:
              http2: false
              headers:
                X-Content-Type-Options: nosniff
                Content-Security-Policy: ""
            """)
        let t = try #require(c.tls)
        #expect(t.certFile == "/pki/server cert.pem")
        #expect(t.keyFile == "/pki/it's.key")
        #expect(t.clientAuth == .requireAndVerifyClientCert)
        #expect(t.clientCAFile == "/etc/kvmnet/ca.pem")
        #expect(t.minVersion == .tls13 && t.maxVersion == .tls13)
        #expect(t.cipherSuites == [0xC02F, 0x1301])
        #expect(t.curves == [0x1D, 0x17])
        #expect(!t.preferServerCipherSuites)
        #expect(!c.http2)
        // An empty header value means "unset", as in exporter-toolkit.
        #expect(c.headers.map(\.name) == ["X-Content-Type-Options"])
    }

    @Test func emptyAndNullSections() throws {
        #expect(try decode("") == WebConfig())
        #expect(try decode("# only a comment\n") == WebConfig())
        #expect(try decode("{}") == WebConfig())
        #expect(try decode("tls_server_config:\nbasic_auth_users: {}\n") == WebConfig())
        // No TLS field set: plain HTTP, as exporter-toolkit's IsEnabled.
        #expect(try decode("tls_server_config:\n  min_version: TLS13\n").tls == nil)
    }

    @Test func oldClientAuthName() throws {
        let c = try decode("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireClientCert\n")
        #expect(c.tls?.clientAuth == .requireAnyClientCert)
    }

    @Test func errorsNameTheLineAndTheProblem() {
        let cases: [(String, Int?, String)] = [
            ("tls_server_config:\n  cert_file: a\n  keyfile: b\n", 3, "unknown field \"keyfile\" in tls_server_config"),
            ("tls_server_config:\n  key_file: b\n", 2, "missing cert_file"),
            ("basic_auth_users:\n  alice: $2y$10$short\n", 2, "60 characters"),
            ("basic_auth_users:\n  alice: $2y$99$MewSMMno63..1rAPG.q/DeX4X3ZrQKzixaXRkqG3/Y0LAPBhvae1i\n", 2, "cost 99"),
            ("basic_auth_users:\n  alice: x\n  alice: y\n", 3, "\"alice\" is already set"),
            ("basic_auth_users:\n  - alice\n", 2, "expected a mapping"),
            ("tls_server_config:\n  cert_file: [a, b]\n", 2, "expected a single value"),
            ("tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [TLS_NOPE]\n", 4, "unknown cipher \"TLS_NOPE\""),
            ("tls_server_config:\n  cert_file: a\n  key_file: b\n  curve_preferences: [P256]\n", 4, "unknown curve \"P256\""),
            ("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n  max_version: TLS12\n", 2, "min_version TLS13 is above max_version TLS12"),
            ("tls_server_config:\n  cert: |\n    -----BEGIN\n", 2, "block scalars"),
            ("tls_server_config:\n  cert: \"PEM\"\n", 2, "tls_server_config.cert is not supported by kvmnet-agent"),
            ("tls_server_config:\n  client_allowed_sans: [a]\n", 2, "client_allowed_sans is not supported"),
            ("a: &x 1\n", 1, "anchors"),
            ("tls_server_config:\n  cert_file: \"unterminated\n", 2, "unterminated quoted value"),
            ("tls_server_config:\n  cert_file: a\n    b\n", 3, "unexpected indentation"),
            ("rate_limit:\n  interval: soon\n", 2, "not a duration"),
            ("rate_limit:\n  interval: 1s\n", 2, "burst must be at least 1"),
            ("http_server_config:\n  headers:\n    X-Powered-By: me\n", 3, "HTTP header \"X-Powered-By\" can not be configured"),
            ("http_server_config:\n  http2: maybe\n", 2, "expected true or false"),
            ("a: 1\n---\nb: 2\n", 2, "several YAML documents"),
        ]
        for (yaml, line, message) in cases {
            guard let e = error(yaml) else {
                Issue.record("accepted: \(yaml)")
                continue
            }
            #expect(e.line == line, "\(e)")
            #expect(e.description.contains(message), "\(e)")
            #expect(e.description.hasPrefix("web config file /etc/kvmnet/web.yml"), "\(e)")
        }
    }

    @Test func yamlSubset() throws {
        let node = try YAMLSubsetParser.parse("""
            a: plain value with # inside? no: comment starts after a blank # here
            b: "double \\"quoted\\" \\u00e9 # not a comment"
            c: 'single ''quoted'''
            d:
            - x
            - "y"
            e: []
            "quoted key": ~
            f: it's fine
            """)
        guard case .mapping(let entries, _) = node else {
            Issue.record("not a mapping: \(node)")
            return
        }
        let values = Dictionary(uniqueKeysWithValues: entries.map { ($0.key, $0.value) })
        #expect(entries.map(\.key) == ["a", "b", "c", "d", "e", "quoted key", "f"])
        if case .scalar(let s, _, _) = values["b"] { #expect(s == "double \"quoted\" é # not a comment") }
        if case .scalar(let s, _, _) = values["c"] { #expect(s == "single 'quoted'") }
        if case .scalar(let s, _, _) = values["f"] { #expect(s == "it's fine") }
        if case .sequence(let items, _) = values["d"] { #expect(items.count == 2) } else { Issue.record("d: \(String(describing: values["d"]))") }
        if case .sequence(let items, _) = values["e"] { #expect(items.isEmpty) }
        if case .null = values["quoted key"] {} else { Issue.record("quoted key: \(String(describing: values["quoted key"]))") }
        // "a: plain ... no: comment" holds ": " in a plain value: YAML refuses it too.
        #expect(throws: YAMLSyntaxError.self) { try YAMLSubsetParser.parse("a: b: c\n") }
    }

    @Test func goDurations() {
        #expect(GoDuration.seconds("1s") == 1)
        #expect(GoDuration.seconds("500ms") == 0.5)
        #expect(GoDuration.seconds("1m30s") == 90)
        #expect(GoDuration.seconds("0") == 0)
        #expect(GoDuration.seconds("1.5h") == 5400)
        #expect(GoDuration.seconds("10") == nil)
        #expect(GoDuration.seconds("") == nil)
    }
}
