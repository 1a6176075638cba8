import Foundation
import Testing

/// What the dashboards and rules promise without a Prometheus: only metric names of
/// docs/metrics.md, runbook links that resolve, the Grafana structure users import.
struct DashboardContractTests {
    static let files = ["dashboards/kvmnet-host.json", "dashboards/kvmnet-fleet.json", "dashboards/kvmnet-alerts.yml"]

    /// `kvmnet_...` names in backquotes in docs/metrics.md.
    static func documentedMetrics() throws -> Set<String> {
        let text = try String(contentsOfFile: Paths.repo("docs/metrics.md"), encoding: .utf8)
        return Set(text.split(separator: "`").filter { $0.hasPrefix("kvmnet_") && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } }.map(String.init))
    }

    static func metricNames(in text: String) -> Set<String> {
        var names: Set<String> = []
        var rest = Substring(text)
        while let r = rest.range(of: "kvmnet_") {
            let name = rest[r.lowerBound...].prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            // Not a metric: file names (kvmnet-alerts.yml has a dash), the uid (kvmnet-host).
            names.insert(String(name))
            rest = rest[name.endIndex...]
        }
        return names
    }

    @Test func onlyDocumentedMetricNames() throws {
        let documented = try Self.documentedMetrics()
        #expect(documented.count > 40)
        var used: Set<String> = []
        for f in Self.files {
            let names = Self.metricNames(in: try String(contentsOfFile: Paths.repo(f), encoding: .utf8))
            #expect(names.subtracting(documented).isEmpty, "\(f) uses undocumented names: \(names.subtracting(documented).sorted())")
            used.formUnion(names)
        }
        // And every documented metric shows somewhere.
        #expect(documented.subtracting(used).isEmpty, "never shown: \(documented.subtracting(used).sorted())")
    }

    @Test func everyAlertHasARunbookSection() throws {
        let rules = try String(contentsOfFile: Paths.repo("dashboards/kvmnet-alerts.yml"), encoding: .utf8)
        let runbooks = try String(contentsOfFile: Paths.repo("docs/runbooks.md"), encoding: .utf8)
        let anchors = Set(runbooks.split(separator: "\n").filter { $0.hasPrefix("## ") }.map { $0.dropFirst(3).lowercased() })
        let alerts = rules.split(separator: "\n").compactMap { line -> String? in
            let t = line.trimmingCharacters(in: .whitespaces)
            return t.hasPrefix("- alert: ") ? String(t.dropFirst(9)) : nil
        }
        let urls = rules.split(separator: "\n").compactMap { line -> String? in
            let t = line.trimmingCharacters(in: .whitespaces)
            return t.hasPrefix("runbook_url: ") ? String(t.dropFirst(13)) : nil
        }
        #expect(alerts.count == 15)
        #expect(urls.count == alerts.count, "one runbook_url per alert")
        for (alert, url) in zip(alerts, urls) {
            #expect(url == "docs/runbooks.md#\(alert.lowercased())", "\(alert): \(url)")
            #expect(anchors.contains(alert.lowercased()), "docs/runbooks.md has no section ## \(alert)")
        }
        #expect(runbooks.contains("kvmnet-diag diagnose"))
        for id in ["bond.degraded", "bond.no_active_slave", "bond.lacp_no_partner", "bond.lacp_aggregator_mismatch", "bridge.stp_blocking", "bridge.mac_flapping", "bridge.vlan_not_on_uplink", "bridge.vlan_filtering_off"] {
            #expect(runbooks.contains("`\(id)`"), "runbooks never name the diag check \(id)")
        }
    }

    @Test(arguments: ["dashboards/kvmnet-host.json", "dashboards/kvmnet-fleet.json"])
    func grafanaStructure(_ file: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Paths.repo(file)))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect((root["schemaVersion"] as? Int ?? 0) >= 39)
        #expect(root["uid"] as? String != nil)
        #expect(root["id"] is NSNull)
        let vars = (root["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
        let ds = vars.first { $0["name"] as? String == "datasource" }
        #expect(ds?["type"] as? String == "datasource")
        #expect(ds?["query"] as? String == "prometheus")
        if file.hasSuffix("host.json") {
            #expect(vars.contains { $0["name"] as? String == "instance" && $0["type"] as? String == "query" })
        }
        var ids: Set<Int> = []
        for panel in root["panels"] as? [[String: Any]] ?? [] {
            let title = panel["title"] as? String ?? "?"
            let id = panel["id"] as? Int ?? -1
            #expect(!ids.contains(id), "\(file): duplicate panel id \(id)")
            ids.insert(id)
            let grid = panel["gridPos"] as? [String: Int] ?? [:]
            #expect((grid["x"] ?? 99) + (grid["w"] ?? 99) <= 24, "\(file) \(title): wider than the grid")
            guard panel["type"] as? String != "row" else { continue }
            #expect((panel["datasource"] as? [String: String])?["uid"] == "${datasource}", "\(file) \(title)")
            #expect(!(panel["description"] as? String ?? "").isEmpty, "\(file) \(title): no description")
            for t in panel["targets"] as? [[String: Any]] ?? [] {
                #expect((t["datasource"] as? [String: String])?["uid"] == "${datasource}", "\(file) \(title)")
                let expr = t["expr"] as? String ?? ""
                if file.hasSuffix("host.json") {
                    #expect(expr.contains("instance=\"$instance\""), "\(file) \(title): not limited to the host: \(expr)")
                }
            }
        }
    }
}
