import Foundation

/// Debian's `prometheus`, started on a free loopback port with a temporary config and
/// storage directory, and its HTTP API.
final class PrometheusServer {
    let child: ChildProcess
    let port: Int
    var base: String { "http://127.0.0.1:\(port)" }

    /// - Parameters:
    ///   - scrapeConfigs: the `scrape_configs:` list items, as YAML (indented by 2).
    ///   - ruleFiles: rule files to load.
    ///   - directory: where the config, the TSDB and the log go.
    init(scrapeConfigs: String, ruleFiles: [String], directory: String) throws {
        guard let prometheus = Paths.tool("prometheus") else {
            throw TestFailure("prometheus is not installed: run scripts/install-deps")
        }
        port = Paths.freePort()
        let config = """
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            rule_files:
            \(ruleFiles.map { "  - \($0)" }.joined(separator: "\n"))
            scrape_configs:
            \(scrapeConfigs)
            """
        let configPath = "\(directory)/prometheus.yml"
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        child = try ChildProcess("prometheus", executable: prometheus, arguments: [
            "--config.file=\(configPath)",
            "--storage.tsdb.path=\(directory)/tsdb",
            "--web.listen-address=127.0.0.1:\(port)",
            "--storage.tsdb.retention.time=1h",
        ], logDirectory: directory)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let r = try? Curl.get("\(base)/-/ready"), r.status == 200 { return }
            if !child.isRunning { break }
            usleep(100_000)
        }
        child.stop()
        throw TestFailure("prometheus did not become ready: \(child.log.suffix(3000))")
    }

    func stop() { child.stop() }

    /// GET an API path; the decoded JSON object. Throws unless `status` is `success`.
    func api(_ path: String, query: [(String, String)] = []) throws -> [String: Any] {
        var options = Curl.Options()
        options.extra = ["-G"] + query.flatMap { ["--data-urlencode", "\($0.0)=\($0.1)"] }
        let r = try Curl.get("\(base)\(path)", options)
        guard let object = try? JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: Any] else {
            throw TestFailure("\(path): not JSON: \(r)")
        }
        guard object["status"] as? String == "success" else {
            throw TestFailure("\(path) \(query): \(object["errorType"] ?? "") \(object["error"] ?? r.body)")
        }
        return object
    }

    /// An instant query: the result vector (or scalar as one element).
    func query(_ expr: String) throws -> [[String: Any]] {
        let object = try api("/api/v1/query", query: [("query", expr)])
        let data = object["data"] as? [String: Any] ?? [:]
        switch data["resultType"] as? String {
        case "vector", "matrix": return data["result"] as? [[String: Any]] ?? []
        case "scalar", "string": return [["value": data["result"] ?? NSNull()]]
        default: throw TestFailure("\(expr): unexpected result \(data)")
        }
    }

    /// The value of a one-element instant vector.
    func value(_ expr: String) throws -> Double? {
        guard let first = try query(expr).first, let pair = first["value"] as? [Any], pair.count == 2,
              let text = pair[1] as? String else { return nil }
        return Double(text)
    }

    /// Loaded rules: name -> (query, health, last error).
    func rules() throws -> [(name: String, query: String, health: String, lastError: String)] {
        let data = try api("/api/v1/rules")["data"] as? [String: Any] ?? [:]
        var out: [(String, String, String, String)] = []
        for group in data["groups"] as? [[String: Any]] ?? [] {
            for rule in group["rules"] as? [[String: Any]] ?? [] {
                out.append((rule["name"] as? String ?? "", rule["query"] as? String ?? "",
                            rule["health"] as? String ?? "", rule["lastError"] as? String ?? ""))
            }
        }
        return out
    }

    /// Active alerts: their labels and state (pending, firing).
    func alerts() throws -> [(labels: [String: String], state: String)] {
        let data = try api("/api/v1/alerts")["data"] as? [String: Any] ?? [:]
        return (data["alerts"] as? [[String: Any]] ?? []).map {
            ($0["labels"] as? [String: String] ?? [:], $0["state"] as? String ?? "")
        }
    }
}
