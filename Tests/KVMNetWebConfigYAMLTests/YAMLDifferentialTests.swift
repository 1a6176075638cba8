import Foundation
import Testing
@testable import KVMNetWeb
import KVMNetYAML
import Yams

/// The web config's own YAML reader (``YAMLSubsetParser``, no Foundation, in the agent)
/// against a reference: Yams, i.e. libyaml, with YAML 1.1 tag resolution as Go's yaml.v2
/// that exporter-toolkit uses. Inputs: exporter-toolkit's documented example files
/// (`Fixtures/exporter-toolkit`, see its SOURCES.md), kvmnet's own test configs
/// (`Fixtures/kvmnet`, the README's example, the fuzz corpus) and YAML outside the subset
/// (`Fixtures/refused`).
///
/// - A file the project's reader accepts gives the same tree as Yams: the same keys in
///   the same order, the same scalars (after quoting and escapes), quoted or plain alike,
///   the same empty values, on the same lines.
/// - What the agent then decodes (``WebConfigDecoder``) holds the values Yams reads from
///   the same file: users and hashes, TLS files, client auth, versions, cipher and curve
///   lists, HTTP/2, headers, rate limit.
/// - YAML the subset leaves out (anchors, aliases, tags, several documents, block
///   scalars, flow mappings, ...) is valid for Yams and refused by the project's reader
///   with the line and a message naming the feature, never read differently.
@Suite struct YAMLDifferentialTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    // MARK: - the neutral tree both readers are compared in

    indirect enum Tree: Equatable, CustomStringConvertible {
        /// A scalar as written (quotes and escapes resolved), whether it was quoted, its line.
        case scalar(String, quoted: Bool, line: Int)
        /// An empty value (`key:`, `~`, `null`). Its line is not compared: libyaml puts an
        /// empty value where the next token starts, the project's reader on the key's line.
        case null
        case mapping([Entry])
        case sequence([Tree])

        struct Entry: Equatable {
            var key: String
            var line: Int
            var value: Tree
        }

        var description: String {
            switch self {
            case .scalar(let s, let q, let l): return q ? "\(s.debugDescription)@\(l)" : "\(s)@\(l)"
            case .null: return "~"
            case .mapping(let es): return "{" + es.map { "\($0.key)@\($0.line): \($0.value)" }.joined(separator: ", ") + "}"
            case .sequence(let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
            }
        }
    }

    struct NotComparable: Error, CustomStringConvertible {
        var description: String
    }

    static func tree(_ node: YAMLNode) -> Tree {
        switch node {
        case .scalar(let s, let quoted, let line): return .scalar(s, quoted: quoted, line: line)
        case .null: return .null
        case .mapping(let entries, _): return .mapping(entries.map { .init(key: $0.key, line: $0.line, value: tree($0.value)) })
        case .sequence(let items, _): return .sequence(items.map(tree))
        }
    }

    static func tree(_ node: Node) throws -> Tree {
        switch node {
        case .scalar(let s):
            if s.style == .plain && node.null != nil { return .null }
            guard s.style == .plain || s.style == .singleQuoted || s.style == .doubleQuoted else {
                throw NotComparable(description: "block scalar at line \(s.mark?.line ?? 0)")
            }
            return .scalar(s.string, quoted: s.style != .plain, line: s.mark?.line ?? 0)
        case .mapping(let m):
            return .mapping(try m.map { pair in
                guard case .scalar(let k) = pair.key else { throw NotComparable(description: "a non-scalar key") }
                return .init(key: k.string, line: k.mark?.line ?? 0, value: try tree(pair.value))
            })
        case .sequence(let seq):
            return .sequence(try seq.map(tree))
        case .alias:
            throw NotComparable(description: "an alias")
        }
    }

    /// Yams' reading of a whole file: one document (none: empty), every node comparable.
    static func reference(_ text: String) throws -> Tree {
        let documents = try yamsDocuments(text)
        guard documents.count <= 1 else { throw NotComparable(description: "\(documents.count) documents") }
        guard let root = documents.first else { return .null }
        return try tree(root)
    }

    // MARK: - inputs

    /// One input: where it is, its text, and what the agent's decoder must make of it:
    /// `nil` accepted, else a piece of the error message.
    struct Input: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var decoderRefuses: String?
        var testDescription: String { name }
    }

    static func file(_ relative: String) -> String {
        (try? String(contentsOf: fixtures.appendingPathComponent(relative), encoding: .utf8)) ?? "<missing \(relative)>"
    }

    /// The first ```yaml block under "## Security" in README.md (the example users copy).
    static func readmeExample() -> String {
        let text = (try? String(contentsOf: repo.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""
        guard let section = text.range(of: "## Security"),
              let start = text.range(of: "```yaml\n", range: section.upperBound..<text.endIndex),
              let end = text.range(of: "```", range: start.upperBound..<text.endIndex) else { return "<no example in README.md>" }
        return String(text[start.upperBound..<end.lowerBound])
    }

    /// Every file the project's reader must accept, with the decoder's verdict.
    static let accepted: [Input] = {
        let toolkit: [(String, String?)] = [
            // Newer exporter-toolkit fields than the agent knows are refused by name.
            ("docs_web-config.yml", "unknown field \"basic_auth_excluded_paths\""),
            ("web_config_noAuth.good.yml", nil),
            ("web_config_noAuth_allCiphers.good.yml", nil),
            ("web_config_noAuth_someCiphers.good.yml", nil),
            ("web_config_noAuth_someCiphers_noOrder.good.yml", nil),
            ("web_config_noAuth_allCurves.good.yml", "unknown curve \"X25519MLKEM768\""),
            ("web_config_noAuth_someCurves.good.yml", nil),
            ("web_config_noAuth_noHTTP2.good.yml", nil),
            ("web_config_headers.good.yml", nil),
            ("web_config_users.good.yml", nil),
            ("web_config_users_noTLS.good.yml", nil),
            ("web_config_users_noTLS_excludePath.good.yml", "unknown field \"basic_auth_excluded_paths\""),
            ("web_config_rate_limiter_one_second.yaml", "burst must be at least 1"),
            ("web_config_rate_limiter_headers.yaml", nil),
            ("web_config_rate_limiter_nonblocking.yaml", nil),
            ("web_config_ip_socket.good.yml", "unknown field \"ip_socket_config\""),
            ("web_config_tokens.good.yml", "unknown field \"bearer_auth_tokens\""),
            ("tls_config_noAuth.requireandverifyclientcert.good.yml", nil),
            ("tls_config_noAuth.requireanyclientcert.good.yml", nil),
            ("web_config_auth_client_san.good.yaml", "client_allowed_sans is not supported"),
            ("web_config_junk_key.yml", "unknown field \"cert_filse\""),
            ("web_config_auth_user_list_invalid.bad.yml", "basic_auth_users.john"),
            ("web_config_noAuth_wrongTLSVersion.bad.yml", "unknown TLS version \"TLS111\""),
            ("web_config_noAuth_certPath_keyPath_empty.bad.yml", "missing cert_file"),
            ("web_config_headers_extra_header.bad.yml", "HTTP header \"Content-Type\" can not be configured"),
            ("web_config_noAuth_inventedCiphers.bad.yml", "unknown cipher \"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA2048\""),
        ]
        var inputs = toolkit.map { Input(name: "exporter-toolkit/\($0.0)", text: file("exporter-toolkit/\($0.0)"), decoderRefuses: $0.1) }
        for name in ["every-tls-field.yml", "prometheus-integration.yml", "web-security.yml"] {
            inputs.append(Input(name: "kvmnet/\(name)", text: file("kvmnet/\(name)"), decoderRefuses: nil))
        }
        inputs.append(Input(name: "kvmnet/yaml-subset.yml", text: file("kvmnet/yaml-subset.yml"), decoderRefuses: "unknown field \"a\""))
        inputs.append(Input(name: "README.md#security", text: readmeExample(), decoderRefuses: nil))
        for name in ["basic-auth.yml", "empty.yml", "tls-client-auth.yml"] {
            let path = repo.appendingPathComponent("Tests/Fuzz/corpus/web-config/\(name)")
            inputs.append(Input(name: "fuzz-corpus/\(name)", text: (try? String(contentsOf: path, encoding: .utf8)) ?? "<missing>", decoderRefuses: nil))
        }
        return inputs
    }()

    /// YAML the subset leaves out: the project's reader must refuse it at this line with a
    /// message containing this text.
    static let refused: [(name: String, text: String, line: Int, message: String)] = {
        var cases: [(String, String, Int, String)] = [
            ("refused/anchor.yml", file("refused/anchor.yml"), 1, "anchors and aliases (& and *) are not supported"),
            ("refused/alias.yml", file("refused/alias.yml"), 1, "anchors and aliases (& and *) are not supported"),
            ("refused/merge-key.yml", file("refused/merge-key.yml"), 1, "anchors and aliases (& and *) are not supported"),
            ("refused/tag.yml", file("refused/tag.yml"), 2, "tags (!) are not supported"),
            ("refused/local-tag.yml", file("refused/local-tag.yml"), 2, "tags (!) are not supported"),
            ("refused/two-documents.yml", file("refused/two-documents.yml"), 3, "several YAML documents in one file are not supported"),
            ("refused/two-documents-explicit.yml", file("refused/two-documents-explicit.yml"), 6, "several YAML documents in one file are not supported"),
            ("refused/folded-scalar.yml", file("refused/folded-scalar.yml"), 2, "block scalars (| and >) are not supported"),
            ("exporter-toolkit/web_config_noAuth_tlsInline.good.yml", file("exporter-toolkit/web_config_noAuth_tlsInline.good.yml"), 2, "block scalars (| and >) are not supported"),
            ("refused/flow-mapping.yml", file("refused/flow-mapping.yml"), 1, "flow mappings ({...}) are not supported"),
            ("refused/mapping-in-list.yml", file("refused/mapping-in-list.yml"), 3, "mappings inside lists are not supported"),
            ("refused/multi-line-plain.yml", file("refused/multi-line-plain.yml"), 3, "unexpected indentation (values must fit on one line)"),
            ("refused/multi-line-quoted.yml", file("refused/multi-line-quoted.yml"), 2, "unterminated quoted value (quoted values must fit on one line)"),
            ("refused/complex-key.yml", file("refused/complex-key.yml"), 1, "complex keys (?) are not supported"),
        ]
        let corpus = repo.appendingPathComponent("Tests/Fuzz/corpus/web-config")
        cases.append(("fuzz-corpus/headers-rate-limit.yml",
                      (try? String(contentsOf: corpus.appendingPathComponent("headers-rate-limit.yml"), encoding: .utf8)) ?? "<missing>",
                      13, "flow mappings ({...}) are not supported"))
        return cases
    }()

    // MARK: - tests

    @Test("accepted files read as Yams reads them", arguments: accepted)
    func sameTreeAsYams(_ input: Input) throws {
        let ours = Self.tree(try YAMLSubsetParser.parse(input.text))
        let yams = try Self.reference(input.text)
        #expect(ours == yams, "\(input.name):\n  kvmnet: \(ours)\n  Yams:   \(yams)")
    }

    @Test("the decoded config holds what Yams reads", arguments: accepted)
    func decodedValuesMatchYams(_ input: Input) throws {
        let file = "/etc/kvmnet/web.yml"
        let config: WebConfig
        do {
            config = try WebConfigDecoder(file: file).decode(input.text)
        } catch {
            let expected = try #require(input.decoderRefuses, "\(input.name): refused: \(error)")
            #expect(error.description.contains(expected), "\(input.name): \(error)")
            #expect(error.line != nil, "\(input.name): the error names no line: \(error)")
            return
        }
        #expect(input.decoderRefuses == nil, "\(input.name): accepted, expected \"\(input.decoderRefuses ?? "")\"")
        let root = try compose(yaml: input.text) ?? Node("", Tag(.null))
        func resolve(_ path: String) -> String { path.hasPrefix("/") ? path : "/etc/kvmnet/" + path }
        func string(_ node: Node?) -> String? {
            guard let node, node.null == nil else { return nil }
            return node.string
        }

        // basic_auth_users
        var users: [String: String] = [:]
        for (k, v) in root["basic_auth_users"]?.mapping ?? [:] { users[k.string ?? ""] = v.string }
        #expect(config.basicAuthUsers == users, "\(input.name)")

        // tls_server_config
        let tls = root["tls_server_config"]
        if let cert = string(tls?["cert_file"]), !cert.isEmpty {
            let t = try #require(config.tls, "\(input.name): TLS off")
            #expect(t.certFile == resolve(cert), "\(input.name)")
            #expect(t.keyFile == string(tls?["key_file"]).map(resolve), "\(input.name)")
            #expect(t.clientCAFile == string(tls?["client_ca_file"]).map(resolve), "\(input.name)")
            #expect(t.clientAuth.rawValue == string(tls?["client_auth_type"]) ?? "NoClientCert", "\(input.name)")
            #expect(t.minVersion.rawValue == string(tls?["min_version"]) ?? "TLS12", "\(input.name)")
            #expect(t.maxVersion.rawValue == string(tls?["max_version"]) ?? "TLS13", "\(input.name)")
            let ciphers = (tls?["cipher_suites"]?.sequence ?? []).compactMap(\.string)
            #expect(t.cipherSuites == ciphers.compactMap { TLSNames.cipherSuites[$0] } && t.cipherSuites.count == ciphers.count, "\(input.name)")
            let curves = (tls?["curve_preferences"]?.sequence ?? []).compactMap(\.string)
            #expect(t.curves == curves.compactMap { TLSNames.curves[$0] } && t.curves.count == curves.count, "\(input.name)")
            #expect(t.preferServerCipherSuites == tls?["prefer_server_cipher_suites"]?.bool ?? true, "\(input.name)")
        } else {
            #expect(config.tls == nil, "\(input.name)")
        }

        // http_server_config
        let http = root["http_server_config"]
        #expect(config.http2 == http?["http2"]?.bool ?? true, "\(input.name)")
        let headers = (http?["headers"]?.mapping ?? [:]).compactMap { k, v -> String? in
            guard let name = k.string, let value = string(v), !value.isEmpty else { return nil }
            return "\(name)=\(value)"
        }
        #expect(config.headers.map { "\($0.name)=\($0.value)" } == headers, "\(input.name)")

        // rate_limit
        let rate = root["rate_limit"]
        if let interval = string(rate?["interval"]), let seconds = GoDuration.seconds(interval), seconds > 0 {
            #expect(config.rateLimit == RateLimitConfig(intervalSeconds: seconds, burst: rate?["burst"]?.int ?? -1), "\(input.name)")
        } else {
            #expect(config.rateLimit == nil, "\(input.name)")
        }
    }

    @Test("YAML outside the subset: valid for Yams, refused with the line and the feature",
          arguments: refused.map(\.name))
    func refusedWithAClearError(_ name: String) throws {
        let c = try #require(Self.refused.first { $0.name == name })
        // Valid YAML: the reader refuses what it does not implement, it does not misread it.
        #expect(throws: Never.self, "\(name): Yams refuses it too") { _ = try yamsDocuments(c.text) }
        do {
            _ = try WebConfigDecoder(file: "/etc/kvmnet/web.yml").decode(c.text)
            Issue.record("\(name): accepted")
        } catch {
            #expect(error.line == c.line, "\(name): \(error)")
            #expect(error.description.contains(c.message), "\(name): \(error)")
            #expect(error.description.hasPrefix("web config file /etc/kvmnet/web.yml:\(c.line): not valid YAML: "), "\(name): \(error)")
        }
    }

    /// A duplicated key: both readers refuse it (exporter-toolkit's yaml.v2 strict mode does too).
    @Test func duplicateKeysRefusedByBoth() throws {
        let text = Self.file("refused/duplicate-key.yml")
        #expect(throws: (any Error).self) { _ = try compose(yaml: text) }
        #expect(throws: YAMLSyntaxError(line: 3, message: "key \"alice\" is already set in this mapping")) {
            _ = try YAMLSubsetParser.parse(text)
        }
    }

    /// Every file of the fixture directories is used by one of the tests above.
    @Test func everyFixtureIsUsed() throws {
        var used = Set(Self.accepted.map(\.name) + Self.refused.map(\.name) + ["refused/duplicate-key.yml"])
        used.insert("exporter-toolkit/SOURCES.md")
        var present: Set<String> = []
        for dir in ["exporter-toolkit", "kvmnet", "refused"] {
            for f in try FileManager.default.contentsOfDirectory(atPath: Self.fixtures.appendingPathComponent(dir).path) {
                present.insert("\(dir)/\(f)")
            }
        }
        used = used.filter { !$0.hasPrefix("fuzz-corpus/") && !$0.hasPrefix("README") }
        #expect(present == used, "unused: \(present.subtracting(used).sorted()), missing: \(used.subtracting(present).sorted())")
    }
}
