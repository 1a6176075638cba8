import Foundation
import Testing

/// A real Prometheus (Debian's `prometheus`) scrapes the built agent on the fixture host
/// (`Tests/Fixtures/kvm-host`, `--no-netlink`): once over plain HTTP, once over TLS with
/// basic auth and a client certificate. It loads `dashboards/kvmnet-alerts.yml` with every
/// `for:` shortened to 1s (a copy; the real durations are minutes), evaluates every
/// PromQL expression of both dashboards and of the rules through its HTTP API, and must
/// fire exactly the alerts the fixture calls for.
///
/// The fixture: bond0 (active-backup) has its backup slave ens1f1 down; bond2 (802.3ad)
/// has no LACP partner and its two up slaves in aggregators 1 and 2.
@Suite(.serialized)
struct PrometheusIntegrationTests {
    /// Alerts the fixture must fire, each with the labels that identify it.
    static let expectedFiring: [String: [String: String]] = [
        "KVMNetBondDegraded": ["bond": "bond0"],
        "KVMNetBondLACPPartnerMissing": ["bond": "bond2"],
        "KVMNetBondLACPAggregatorMismatch": ["bond": "bond2"],
    ]

    /// Dashboard expressions allowed to be empty on the fixture, and why.
    static let emptyOnFixture: [String: String] = [
        "kvmnet_bond_last_failover_timestamp_seconds": "no failover happened on the fixture host",
        "kvmnet_netlink_events_total": "live (netlink) mode only",
        "kvmnet_netlink_resyncs_total": "live (netlink) mode only",
        "kvmnet_vm_interface_info": "live (netlink) mode with running libvirt domains only",
        "kvmnet_series_dropped_total": "only when a family exceeds --web.max-series-per-family",
        // The fixture host is a sysfs tree: sysfs has no per-port VLAN lists (the kernel lab
        // compares these series with iproute2's on real VLAN-aware bridges).
        "kvmnet_bridge_port_vlan_info": "per-port VLAN lists come from netlink only",
        "kvmnet_bridge_vlan_uplinks": "per-port VLAN lists come from netlink only",
        "kvmnet_bridge_port_pvid": "per-port VLAN lists come from netlink only",
        "kvmnet_bridge_port_vlans": "per-port VLAN lists come from netlink only",
        "kvmnet_bridge_vlan_protocol_info": "the fixture host has no VLAN-aware bridge",
        "kvmnet_bridge_default_pvid": "the fixture host has no VLAN-aware bridge",
    ]

    @Test(.timeLimit(.minutes(2)))
    func prometheusScrapesEvaluatesDashboardsAndFiresAlerts() throws {
        let started = Date()
        let dir = try Paths.scratchDirectory("kvmnet-prom")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pki = try TestPKI(in: dir)

        // The rules, with every `for:` shortened so that alerts fire within seconds.
        let rules = try String(contentsOfFile: Paths.repo("dashboards/kvmnet-alerts.yml"), encoding: .utf8)
        let forLines = rules.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("for:") }
        #expect(forLines.count >= 8, "the rules should wait before firing: \(forLines)")
        let shortRules = rules.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard let r = line.range(of: "for: ") else { return String(line) }
            return line[..<r.lowerBound] + "for: 1s"
        }.joined(separator: "\n")
        let rulesCopy = "\(dir)/kvmnet-alerts.yml"
        try shortRules.write(toFile: rulesCopy, atomically: true, encoding: .utf8)

        // Agent 1: plain HTTP. Agent 2: TLS, client certificate and basic auth.
        let agent = try AgentUnderTest(name: "agent-plain", logDirectory: dir)
        defer { agent.stop() }
        let webConfig = """
            tls_server_config:
              cert_file: \(pki.serverCert)
              key_file: \(pki.serverKey)
              client_auth_type: RequireAndVerifyClientCert
              client_ca_file: \(pki.caCert)
            basic_auth_users:
              \(TestPasswords.alice.name): \(TestPasswords.alice.hash)
            """
        try webConfig.write(toFile: "\(dir)/web.yml", atomically: true, encoding: .utf8)
        let tlsAgent = try AgentUnderTest(name: "agent-tls", extraArguments: ["--web.config.file=\(dir)/web.yml"], logDirectory: dir)
        defer { tlsAgent.stop() }

        let prometheus = try PrometheusServer(scrapeConfigs: """
              - job_name: kvmnet
                static_configs:
                  - targets: ['\(agent.address)']
              - job_name: kvmnet-tls
                scheme: https
                basic_auth:
                  username: \(TestPasswords.alice.name)
                  password: '\(TestPasswords.alice.password)'
                tls_config:
                  ca_file: \(pki.caCert)
                  cert_file: \(pki.clientCert)
                  key_file: \(pki.clientKey)
                static_configs:
                  - targets: ['\(tlsAgent.address)']
            """, ruleFiles: [rulesCopy], directory: dir)
        defer { prometheus.stop() }

        // Scrapes: wait for four of each job, so that rate windows have samples.
        try waitUntil("four scrapes of each job", timeout: 20, log: prometheus) {
            try prometheus.query("count_over_time(up[1m]) >= 4").count == 2
        }
        #expect(try prometheus.value("up{job=\"kvmnet\"}") == 1)
        #expect(try prometheus.value("up{job=\"kvmnet-tls\"}") == 1, "TLS + basic auth scrape: \(tlsAgent.child.log.suffix(2000))")
        #expect(try prometheus.value("kvmnet_bond_slaves_up{job=\"kvmnet-tls\",bond=\"bond0\"}") == 1)

        // Every expression of both dashboards.
        let host = try DashboardQueries.load(Paths.repo("dashboards/kvmnet-host.json"), variables: [
            "job": "kvmnet", "instance": agent.address, "bond": ".*", "bridge": ".*",
            "__rate_interval": "1m", "__range": "1h", "__interval": "15s",
        ])
        let fleet = try DashboardQueries.load(Paths.repo("dashboards/kvmnet-fleet.json"), variables: [
            "job": ".*", "__rate_interval": "1m", "__range": "1h", "__interval": "15s",
        ])
        #expect(host.count > 60)
        #expect(fleet.count > 20)
        for (dashboard, queries) in [("kvmnet-host", host), ("kvmnet-fleet", fleet)] {
            for q in queries {
                do {
                    let result = try prometheus.query(q.expr)
                    let reason = Self.emptyOnFixture.first { q.expr.contains($0.key) }?.value
                    if result.isEmpty && reason == nil && !q.isAnnotation {
                        Issue.record("\(dashboard) \(q.origin): no data on the fixture host: \(q.expr)")
                    }
                } catch {
                    Issue.record("\(dashboard) \(q.origin): \(error)")
                }
            }
        }
        // The VLAN membership join says which VLAN reaches which bridge.
        let membership = try prometheus.query("kvmnet_vlan_info{job=\"kvmnet\"} * ignoring(vlan_id, parent, kind, master) group_left(master) kvmnet_link_info{job=\"kvmnet\",kind=\"vlan\"}")
        let pairs = Set(membership.compactMap { ($0["metric"] as? [String: String]).map { "\($0["vlan_id"] ?? "")->\($0["master"] ?? "")" } })
        #expect(pairs == ["10->brvlan-10", "20->brvlan-20"])

        // Every rule: loaded, healthy, and its expression returns data exactly when the
        // fixture calls for the alert.
        var rules2 = try prometheus.rules()
        try waitUntil("every rule evaluated", timeout: 10, log: prometheus) {
            rules2 = try prometheus.rules()
            return rules2.allSatisfy { $0.health != "unknown" }
        }
        #expect(rules2.count == 15)
        for rule in rules2 {
            #expect(rule.health == "ok", "\(rule.name): \(rule.lastError)")
            do {
                let result = try prometheus.query(rule.query)
                let expected = Self.expectedFiring[rule.name] != nil
                #expect(result.isEmpty != expected, "\(rule.name): \(result.count) series for \(rule.query)")
            } catch {
                Issue.record("\(rule.name): \(error)")
            }
        }

        // The alerts fire (for both jobs), and no other.
        var alerts: [(labels: [String: String], state: String)] = []
        try waitUntil("the expected alerts firing", timeout: 15, log: prometheus) {
            alerts = try prometheus.alerts()
            return Self.expectedFiring.allSatisfy { name, labels in
                ["kvmnet", "kvmnet-tls"].allSatisfy { job in
                    alerts.contains { a in
                        a.state == "firing" && a.labels["alertname"] == name && a.labels["job"] == job
                            && labels.allSatisfy { a.labels[$0.key] == $0.value }
                    }
                }
            }
        }
        let names = Set(alerts.compactMap { $0.labels["alertname"] })
        #expect(names == Set(Self.expectedFiring.keys), "alerts: \(alerts)")
        let degraded = alerts.first { $0.labels["alertname"] == "KVMNetBondDegraded" }
        #expect(degraded?.labels["severity"] == "warning")
        #expect(degraded?.labels["instance"] == agent.address || degraded?.labels["instance"] == tlsAgent.address)

        let seconds = Date().timeIntervalSince(started)
        #expect(seconds < 60, "the whole test took \(Int(seconds))s")
    }

    /// Polls `condition` every 250 ms until it holds.
    func waitUntil(_ what: String, timeout: Double, log prometheus: PrometheusServer, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        var lastError: Error?
        while Date() < deadline {
            do {
                if try condition() { return }
            } catch {
                lastError = error
            }
            usleep(250_000)
        }
        throw TestFailure("timed out after \(timeout)s waiting for \(what) (\(lastError.map { "\($0)" } ?? "no error")); prometheus log: \(prometheus.child.log.suffix(2000))")
    }
}
