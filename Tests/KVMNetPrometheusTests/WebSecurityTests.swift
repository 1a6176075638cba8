import Foundation
import Testing

/// `--web.config.file` end to end: the built agent, curl as the TLS and basic-auth
/// client, certificates made by openssl for the test.
@Suite(.serialized)
struct WebSecurityTests {
    let dir: String
    let pki: TestPKI

    init() throws {
        dir = try Paths.scratchDirectory("kvmnet-web")
        pki = try TestPKI(in: dir)
    }

    var webConfig: String { "\(dir)/web.yml" }

    func tlsConfig(clientAuth: String? = nil, ca: Bool = false, extra: String = "") -> String {
        var s = """
            tls_server_config:
              cert_file: server.crt
              key_file: server.key

            """
        if let clientAuth { s += "  client_auth_type: \(clientAuth)\n" }
        if ca { s += "  client_ca_file: ca.crt\n" }
        return s + extra
    }

    func users(_ list: [(name: String, password: String, hash: String)]) -> String {
        "basic_auth_users:\n" + list.map { "  \($0.name): \($0.hash)\n" }.joined()
    }

    @Test func basicAuthOverPlainHTTP() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try users([TestPasswords.alice, TestPasswords.bob]).write(toFile: webConfig, atomically: true, encoding: .utf8)
        let agent = try AgentUnderTest(extraArguments: ["--web.config.file=\(webConfig)"], logDirectory: dir)
        defer { agent.stop() }
        let url = "http://\(agent.address)/metrics"

        let ok = try Curl.get(url, .init(user: (TestPasswords.alice.name, TestPasswords.alice.password)))
        #expect(ok.status == 200, "\(ok)")
        #expect(ok.body.contains("kvmnet_bond_slaves_up{bond=\"bond0\"} 1"))
        // A password with ": " in it: only the first colon separates user and password.
        #expect(try Curl.get(url, .init(user: (TestPasswords.bob.name, TestPasswords.bob.password))).status == 200)

        for (what, options) in [
            ("no credentials", Curl.Options()),
            ("wrong password", Curl.Options(user: (TestPasswords.alice.name, "wrong"))),
            ("unknown user", Curl.Options(user: ("mallory", TestPasswords.alice.password))),
            ("another user's password", Curl.Options(user: (TestPasswords.bob.name, TestPasswords.alice.password))),
            ("not basic", Curl.Options(headers: ["Authorization: Bearer abc"])),
            ("bad base64", Curl.Options(headers: ["Authorization: Basic !!!"])),
        ] {
            let r = try Curl.get(url, options)
            #expect(r.status == 401, "\(what): \(r)")
            #expect(r.headers["www-authenticate"] == "Basic", "\(what): \(r.headers)")
            #expect(r.body == "Unauthorized\n", "\(what)")
            #expect(!r.body.contains("kvmnet_"), "\(what)")
        }
        // Every path is protected, as in exporter-toolkit.
        #expect(try Curl.get("http://\(agent.address)/-/healthy").status == 401)
        #expect(try Curl.get("http://\(agent.address)/").status == 401)
        // The right password keeps working (from the cache) after wrong ones.
        #expect(try Curl.get(url, .init(user: (TestPasswords.alice.name, TestPasswords.alice.password))).status == 200)
    }

    @Test func tlsWithBasicAuthAndHeaders() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try (tlsConfig(extra: """
            http_server_config:
              headers:
                X-Frame-Options: deny
                Strict-Transport-Security: max-age=31536000

            """) + users([TestPasswords.alice])).write(toFile: webConfig, atomically: true, encoding: .utf8)
        let agent = try AgentUnderTest(extraArguments: ["--web.config.file=\(webConfig)"], logDirectory: dir)
        defer { agent.stop() }
        let https = "https://\(agent.address)/metrics"

        let ok = try Curl.get(https, .init(caFile: pki.caCert, user: (TestPasswords.alice.name, TestPasswords.alice.password)))
        #expect(ok.status == 200, "\(ok)")
        #expect(ok.body.contains("kvmnet_bridge_vlan_info"))
        #expect(ok.headers["x-frame-options"] == "deny")
        #expect(ok.headers["strict-transport-security"] == "max-age=31536000")
        let noAuth = try Curl.get(https, .init(caFile: pki.caCert))
        #expect(noAuth.status == 401)
        #expect(noAuth.headers["www-authenticate"] == "Basic")
        #expect(noAuth.headers["x-frame-options"] == "deny")
        // The certificate is for 127.0.0.1 and localhost, signed by the test CA.
        #expect(try Curl.get(https, .init(user: (TestPasswords.alice.name, TestPasswords.alice.password))).exitStatus == 60)
        // Plain HTTP to the TLS port gets no HTTP answer.
        let plain = try Curl.get("http://\(agent.address)/metrics", .init(user: (TestPasswords.alice.name, TestPasswords.alice.password)))
        #expect(plain.status == nil, "\(plain)")
        // Gzip still works through TLS.
        let gz = try Curl.get(https, .init(caFile: pki.caCert, user: (TestPasswords.alice.name, TestPasswords.alice.password),
                                           headers: ["Accept-Encoding: gzip"]))
        #expect(gz.status == 200)
        #expect(gz.headers["content-encoding"] == "gzip")
    }

    /// Each client_auth_type against: no client certificate, the CA-signed one, a
    /// self-signed one. The config is rewritten between cases: every case also proves
    /// that a change is picked up by the next connection, without a restart.
    @Test func clientCertificatePolicies() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try tlsConfig().write(toFile: webConfig, atomically: true, encoding: .utf8)
        let agent = try AgentUnderTest(extraArguments: ["--web.config.file=\(webConfig)"], logDirectory: dir)
        defer { agent.stop() }
        let https = "https://\(agent.address)/metrics"
        let none = Curl.Options(caFile: pki.caCert)
        let signed = Curl.Options(caFile: pki.caCert, clientCert: (pki.clientCert, pki.clientKey))
        let rogue = Curl.Options(caFile: pki.caCert, clientCert: (pki.rogueCert, pki.rogueKey))

        //           policy                        CA?    none   signed rogue
        let cases: [(String?, Bool, Bool, Bool, Bool)] = [
            (nil, false, true, true, true),
            ("NoClientCert", false, true, true, true),
            ("RequestClientCert", false, true, true, true),
            ("RequireAnyClientCert", false, false, true, true),
            ("VerifyClientCertIfGiven", true, true, true, false),
            ("RequireAndVerifyClientCert", true, false, true, false),
        ]
        for (policy, ca, noneOK, signedOK, rogueOK) in cases {
            try Paths.writeAtomically(tlsConfig(clientAuth: policy, ca: ca), to: webConfig)
            for (who, options, allowed) in [("no certificate", none, noneOK), ("CA-signed", signed, signedOK), ("self-signed", rogue, rogueOK)] {
                let r = try Curl.get(https, options)
                if allowed {
                    #expect(r.status == 200, "\(policy ?? "default"), \(who): \(r)")
                } else {
                    #expect(r.status == nil, "\(policy ?? "default"), \(who) must be refused: \(r)")
                }
            }
        }
    }

    @Test func minimumTLSVersion() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try tlsConfig(extra: "  min_version: TLS13\n").write(toFile: webConfig, atomically: true, encoding: .utf8)
        let agent = try AgentUnderTest(extraArguments: ["--web.config.file=\(webConfig)"], logDirectory: dir)
        defer { agent.stop() }
        let https = "https://\(agent.address)/metrics"
        #expect(try Curl.get(https, .init(caFile: pki.caCert)).status == 200)
        let old = try Curl.get(https, .init(caFile: pki.caCert, extra: ["--tls-max", "1.2"]))
        #expect(old.status == nil && old.exitStatus != 0, "\(old)")
        try Paths.writeAtomically(tlsConfig(extra: "  max_version: TLS12\n"), to: webConfig)
        #expect(try Curl.get(https, .init(caFile: pki.caCert, extra: ["--tls-max", "1.2"])).status == 200)
        #expect(try Curl.get(https, .init(caFile: pki.caCert, extra: ["--tlsv1.3"])).status == nil)
    }

    /// The file is re-read when it changes: users, TLS on and off, a broken file (every
    /// request refused until it is fixed), a rate limit.
    @Test func configChangesApplyWithoutRestart() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try users([TestPasswords.alice]).write(toFile: webConfig, atomically: true, encoding: .utf8)
        let agent = try AgentUnderTest(extraArguments: ["--web.config.file=\(webConfig)"], logDirectory: dir)
        defer { agent.stop() }
        let http = "http://\(agent.address)/metrics"
        let alice = Curl.Options(user: (TestPasswords.alice.name, TestPasswords.alice.password))
        let bob = Curl.Options(user: (TestPasswords.bob.name, TestPasswords.bob.password))
        #expect(try Curl.get(http, alice).status == 200)
        #expect(try Curl.get(http, bob).status == 401)

        // Users replaced.
        try Paths.writeAtomically(users([TestPasswords.bob]), to: webConfig)
        #expect(try Curl.get(http, alice).status == 401)
        #expect(try Curl.get(http, bob).status == 200)

        // A broken file: refused (500), never served without authentication.
        try Paths.writeAtomically("basic_auth_users:\n  bob: not-a-hash\n", to: webConfig)
        let broken = try Curl.get(http, bob)
        #expect(broken.status == 500, "\(broken)")
        #expect(try Curl.get(http).status == 500)
        // An empty file during a rewrite must not turn authentication off either.
        try Paths.writeAtomically("", to: webConfig)
        #expect(try Curl.get(http).status == 500)
        try Paths.writeAtomically(users([TestPasswords.bob]), to: webConfig)
        // The store retries a failed file at most once a second.
        try waitFor(2) { try Curl.get(http, bob).status == 200 }

        // TLS turned on: new connections speak TLS only.
        try Paths.writeAtomically(tlsConfig(), to: webConfig)
        #expect(try Curl.get(http).status == nil)
        #expect(try Curl.get("https://\(agent.address)/metrics", .init(caFile: pki.caCert)).status == 200)
        // And off again.
        try Paths.writeAtomically("{}\n", to: webConfig)
        #expect(try Curl.get(http).status == 200)

        // A rate limit: a burst of 2, then one request an hour.
        try Paths.writeAtomically("rate_limit:\n  interval: 1h\n  burst: 2\n", to: webConfig)
        #expect(try Curl.get(http).status == 200)
        #expect(try Curl.get(http).status == 200)
        #expect(try Curl.get(http).status == 429)

        agent.stop()
        #expect(agent.child.log.contains("web config reloaded"))
        #expect(agent.child.log.contains("web config no longer loads"))
    }

    /// A bad file is refused at start: non-zero exit, and the message names the file and
    /// the problem.
    @Test(arguments: [
        ("unknown field", "tls_server_config:\n  cert_flie: server.crt\n", ["unknown field \"cert_flie\" in tls_server_config", ":2"]),
        ("missing key", "tls_server_config:\n  cert_file: server.crt\n", ["missing key_file"]),
        ("certificate missing on disk", "tls_server_config:\n  cert_file: nope.crt\n  key_file: server.key\n", ["nope.crt", "No such file or directory"]),
        ("key is not a key", "tls_server_config:\n  cert_file: server.crt\n  key_file: server.crt\n", ["key_file", "server.crt", "private key"]),
        ("bad client auth", "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: Always\n", ["invalid \"Always\"", "RequireAndVerifyClientCert"]),
        ("CA without policy", "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_ca_file: ca.crt\n", ["without a client auth policy"]),
        ("bad TLS version", "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  min_version: TLS14\n", ["unknown TLS version \"TLS14\""]),
        ("plaintext password", "basic_auth_users:\n  alice: hunter2\n", ["basic_auth_users.alice", "not a bcrypt hash", ":2"]),
        ("YAML with tabs", "basic_auth_users:\n\talice: x\n", ["tabs are not allowed", ":2"]),
        ("not a mapping", "- a\n- b\n", ["expected a mapping"]),
        ("bad header", "http_server_config:\n  headers:\n    X-Frame-Options: allow\n", ["X-Frame-Options", "invalid value \"allow\""]),
    ] as [(String, String, [String])])
    func badConfigIsRefusedAtStart(_ testCase: (name: String, yaml: String, messages: [String])) throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try testCase.yaml.write(toFile: webConfig, atomically: true, encoding: .utf8)
        try expectRefused(configFile: webConfig, testCase.name, messages: testCase.messages)
    }

    @Test func missingConfigFileIsRefusedAtStart() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try expectRefused(configFile: "\(dir)/absent.yml", "missing file", messages: ["cannot read the file", "No such file or directory"])
    }

    func expectRefused(configFile: String, _ name: String, messages: [String]) throws {
        let child = try ChildProcess("agent-bad", executable: Paths.agent,
                                     arguments: Paths.fixtureArguments + ["--web.listen-address=127.0.0.1:\(Paths.freePort())", "--web.config.file=\(configFile)"],
                                     logDirectory: dir)
        defer { child.stop() }
        let status = child.waitForExit(timeout: 15)
        #expect(status != nil && status != 0, "\(name): the agent must exit non-zero, status \(String(describing: status))")
        let log = child.log
        #expect(log.contains("web config file \(configFile)"), "\(name): the message must name the file: \(log)")
        for m in messages {
            #expect(log.contains(m), "\(name): expected \"\(m)\" in: \(log)")
        }
    }

    func waitFor(_ seconds: Double, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return }
            usleep(100_000)
        }
        #expect(try condition(), "still false after \(seconds)s")
    }
}
