import KVMNetDiagnose
import KVMNetModel
import KVMNetRemote
import KVMNetWeb
import Testing

/// What kvmnet-diag reads from other hosts: the agent API, Prometheus' API, addresses,
/// and the --http.config file.
@Suite struct RemoteParsingTests {
    let url = "http://h:9834/api/v1/fdb"

    @Test func fdbAnswerDecodes() throws {
        let body = Array(#"{"api_version":1,"fdb_known":true,"truncated":false,"entries":[{"mac":"52:54:00:aa:00:03","bridge":"br0","port":"eth0","vlan":10,"kind":"learned"}]}"#.utf8)
        let lookup = try AgentAPIParser.fdb(body, url: url)
        #expect(lookup.entries == [FDBLocation(mac: "52:54:00:aa:00:03", bridge: "br0", port: "eth0", vlan: 10, kind: .learned)])
        #expect(lookup.known)
    }

    /// An agent with ages: a number for learned entries, `null` for the others; an older
    /// agent without the field reads as ages unknown.
    @Test func fdbAnswerWithAndWithoutAges() throws {
        let body = Array(#"{"api_version":1,"fdb_known":true,"truncated":false,"entries":[{"mac":"52:54:00:aa:00:03","bridge":"br0","port":"eth0","vlan":10,"kind":"learned","age_seconds":3.20},{"mac":"52:54:00:aa:00:03","bridge":"br0","port":"br0","vlan":0,"kind":"local","age_seconds":null}]}"#.utf8)
        let lookup = try AgentAPIParser.fdb(body, url: url)
        #expect(lookup.entries.map(\.ageSeconds) == [3.2, nil])
        #expect(lookup.entries[0] == FDBLocation(mac: "52:54:00:aa:00:03", bridge: "br0", port: "eth0", vlan: 10, kind: .learned, ageSeconds: 3.2))
        let old = Array(#"{"api_version":1,"fdb_known":true,"truncated":false,"entries":[{"mac":"52:54:00:aa:00:03","bridge":"br0","port":"eth0","vlan":10,"kind":"learned"}]}"#.utf8)
        #expect(try AgentAPIParser.fdb(old, url: url).entries.first?.ageSeconds == nil)
        #expect(throws: RemoteError.self) {
            try AgentAPIParser.fdb(Array(#"{"api_version":1,"fdb_known":true,"truncated":false,"entries":[{"mac":"m","bridge":"b","port":"p","vlan":0,"kind":"learned","age_seconds":"3"}]}"#.utf8), url: url)
        }
    }

    /// `age_seconds` as the agent writes it (`FDBLocation.ageJSON`), and read back.
    @Test func ageAsTheAgentWritesIt() throws {
        #expect(FDBLocation.ageJSON(3.2) == "3.20")
        #expect(FDBLocation.ageJSON(0) == "0.00")
        #expect(FDBLocation.ageJSON(0.05) == "0.05")
        #expect(FDBLocation.ageJSON(299.999) == "300.00")
        #expect(FDBLocation.ageJSON(12.34) == "12.34")
        #expect(FDBLocation.ageJSON(nil) == "null")
        #expect(FDBLocation.ageJSON(-1) == "null")
        #expect(FDBLocation.ageJSON(.infinity) == "null")
        #expect(FDBLocation.ageJSON(.nan) == "null")
        for age in [0.0, 0.01, 2.7, 42.5, 299.99] {
            let body = Array(#"{"api_version":1,"fdb_known":true,"truncated":false,"entries":[{"mac":"m","bridge":"b","port":"p","vlan":0,"kind":"learned","age_seconds":\#(FDBLocation.ageJSON(age))}]}"#.utf8)
            #expect(try AgentAPIParser.fdb(body, url: url).entries.first?.ageSeconds == age)
        }
    }

    @Test func anotherAPIVersionIsAClearError() {
        #expect(throws: RemoteError.apiVersion(url: url, got: 2, wanted: 1)) {
            try AgentAPIParser.fdb(Array(#"{"api_version":2,"entries":[]}"#.utf8), url: url)
        }
        #expect(throws: RemoteError.malformed(url: url, why: "no api_version")) {
            try AgentAPIParser.fdb(Array(#"{"entries":[]}"#.utf8), url: url)
        }
        #expect(throws: RemoteError.self) { try AgentAPIParser.snapshot(Array("# HELP kvmnet_build_info\n".utf8), url: url) }
    }

    @Test func snapshotRoundTrips() throws {
        var t = Topology()
        t.links["br0"] = Link(name: "br0", kind: .bridge, operState: .up)
        let s = DiagSnapshot(hostname: "h", topology: t)
        let body = Array(#"{"api_version":1,"agent_version":"0.1.0","snapshot":"#.utf8) + (try s.jsonBytes()) + Array("}".utf8)
        #expect(try AgentAPIParser.snapshot(body, url: url).topology.links["br0"]?.kind == .bridge)
    }

    @Test func prometheusAnswers() throws {
        let q = Array(#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"instance":"a:9834","domain":"vm1"},"value":[1,"1"]}]}}"#.utf8)
        #expect(try PrometheusAPIParser.vector(q, url: "p").map { $0["instance"] } == ["a:9834"])
        let t = Array(#"{"status":"success","data":{"activeTargets":[{"labels":{"instance":"a:9834"},"scrapeUrl":"https://10.0.0.2:9834/metrics","health":"up"}]}}"#.utf8)
        #expect(try PrometheusAPIParser.activeTargets(t, url: "p").first?.scrapeURL == "https://10.0.0.2:9834/metrics")
        let e = Array(#"{"status":"error","errorType":"bad_data","error":"parse error"}"#.utf8)
        #expect(throws: RemoteError.prometheus(url: "p", errorType: "bad_data", message: "parse error")) { try PrometheusAPIParser.vector(e, url: "p") }
        #expect(PrometheusAPIParser.quoted("a\"b\\") == #""a\"b\\""#)
        #expect(PrometheusAPIParser.formEncoded("x{a=\"b\"} or") == "x%7Ba%3D%22b%22%7D%20or")
    }

    @Test func addresses() throws {
        let a = try HTTPAddress(parsing: "10.0.0.2:9834")
        #expect(a.url("/api/v1/snapshot") == "http://10.0.0.2:9834/api/v1/snapshot")
        let b = try HTTPAddress(parsing: "https://[fd00::2]:9834/prom/")
        #expect(b.tls && b.host == "fd00::2" && b.basePath == "/prom")
        #expect(b.url("/api/v1/query") == "https://[fd00::2]:9834/prom/api/v1/query")
        #expect(try HTTPAddress(parsing: "http://prometheus").port == 80)
        #expect(throws: RemoteError.self) { try HTTPAddress(parsing: "ftp://x:1") }
        #expect(throws: RemoteError.self) { try HTTPAddress(parsing: "host:99999") }
        #expect(throws: RemoteError.self) { try HTTPAddress(parsing: "http://user:pw@host:1") }
    }

    @Test func httpClientConfig() throws {
        let decoder = HTTPClientConfigDecoder(file: "c.yml") { path in path == "pw" ? "s3cret\n" : "" }
        let c = try decoder.decode("""
            basic_auth:
              username: diag
              password_file: pw
            tls_config:
              ca_file: ca.pem
              server_name: agent
            """)
        #expect(c.basicAuth == .init(username: "diag", password: "s3cret"))
        #expect(c.authorizationHeader == "Basic ZGlhZzpzM2NyZXQ=")
        #expect(c.tls.caFile == "ca.pem" && c.tls.serverName == "agent")
        let bearer = try decoder.decode("authorization:\n  credentials: tok\n")
        #expect(bearer.authorizationHeader == "Bearer tok")
        #expect(throws: HTTPClientConfigError.self) { try decoder.decode("oauth2:\n  client_id: x\n") }
        #expect(throws: HTTPClientConfigError.self) { try decoder.decode("tls_config:\n  cert_file: c.pem\n") }
        #expect(throws: HTTPClientConfigError.self) { try decoder.decode("basic_auth:\n  username: a\nbearer_token: b\n") }
        do {
            _ = try decoder.decode("basic_auth:\n  usernme: a\n")
            Issue.record("unknown field accepted")
        } catch {
            #expect(error.description.contains("c.yml:2") && error.description.contains("usernme"), "\(error)")
        }
    }
}
