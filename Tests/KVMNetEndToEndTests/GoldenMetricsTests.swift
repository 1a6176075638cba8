import Foundation
import Testing

/// The agent, built and run as users run it, on a committed fixture host
/// (Tests/Fixtures/kvm-host), scraped over HTTP and compared whole with a golden file.
///
/// Regenerate the golden file after an intended change of the output:
///
///     KVMNET_UPDATE_GOLDEN=1 swift test --filter GoldenMetricsTests
@Suite(.serialized)
struct GoldenMetricsTests {
    static let fixture = AgentProcess.repositoryRoot.appendingPathComponent("Tests/Fixtures/kvm-host").path
    static let golden = AgentProcess.repositoryRoot.appendingPathComponent("Tests/KVMNetEndToEndTests/Golden/kvm-host.metrics").path

    static func fixtureArgs(_ root: String = fixture) -> [String] {
        ["--no-netlink", "--path.procfs=\(root)/proc", "--path.sysfs=\(root)/sys"]
    }

    /// The scrape duration and version vary: fixed placeholders make the output comparable.
    static func normalize(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            if line.hasPrefix("kvmnet_scrape_duration_seconds ") { return "kvmnet_scrape_duration_seconds <duration>" }
            if line.hasPrefix("kvmnet_build_info{") { return "kvmnet_build_info{version=\"<version>\"} 1" }
            return String(line)
        }.joined(separator: "\n")
    }

    @Test func wholeOutputMatchesGoldenFile() throws {
        let agent = try AgentProcess(arguments: Self.fixtureArgs())
        defer { agent.stop() }
        let r = try agent.get("/metrics")
        #expect(r.status == 200)
        let got = Self.normalize(r.text)
        if ProcessInfo.processInfo.environment["KVMNET_UPDATE_GOLDEN"] == "1" {
            try got.write(toFile: Self.golden, atomically: true, encoding: .utf8)
        }
        let want = try String(contentsOfFile: Self.golden, encoding: .utf8)
        if got != want {
            let g = got.split(separator: "\n"), w = want.split(separator: "\n")
            let firstDiff = Array(zip(g, w)).firstIndex { $0.0 != $0.1 } ?? min(g.count, w.count)
            Issue.record("output differs from \(Self.golden) at line \(firstDiff + 1): got \(g.count > firstDiff ? String(g[firstDiff]) : "<end>"), want \(w.count > firstDiff ? String(w[firstDiff]) : "<end>")")
        }
    }

    @Test func headersAndContentType() throws {
        let agent = try AgentProcess(arguments: Self.fixtureArgs())
        defer { agent.stop() }
        let r = try agent.get("/metrics")
        #expect(r.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        #expect(r.headers["content-encoding"] == nil)
        // Families are sorted by name: the HELP lines come in order.
        let names = r.text.split(separator: "\n").filter { $0.hasPrefix("# HELP ") }.map { $0.split(separator: " ")[2] }
        #expect(names == names.sorted())
        #expect(names.count > 30)
    }

    @Test func gzipWhenAccepted() throws {
        let agent = try AgentProcess(arguments: Self.fixtureArgs())
        defer { agent.stop() }
        let plain = try agent.get("/metrics")
        let gz = try agent.get("/metrics", headers: ["Accept-Encoding": "gzip"])
        #expect(gz.status == 200)
        #expect(gz.headers["content-encoding"] == "gzip")
        #expect(gz.body.count < plain.body.count / 3)
        #expect(Array(gz.body.prefix(2)) == [0x1f, 0x8b])
        let gunzip = try #require(findTool("gzip"))
        let out = try runCommand(gunzip, ["-dc"], stdin: gz.body)
        #expect(out.status == 0)
        #expect(Self.normalize(out.stdout) == Self.normalize(plain.text))
    }

    @Test func landingPageHealthAndNotFound() throws {
        let agent = try AgentProcess(arguments: Self.fixtureArgs())
        defer { agent.stop() }
        let landing = try agent.get("/")
        #expect(landing.status == 200)
        #expect(landing.text.contains("href=\"/metrics\""))
        #expect(try agent.get("/-/healthy").text == "OK\n")
        #expect(try agent.get("/nope").status == 404)
    }

    /// `promtool check metrics` (from Debian's `prometheus`) prints nothing for our output.
    @Test func promtoolCheckMetricsIsClean() throws {
        let promtool = try #require(findTool("promtool"), "promtool not installed: run scripts/install-deps")
        let agent = try AgentProcess(arguments: Self.fixtureArgs())
        defer { agent.stop() }
        let r = try agent.get("/metrics")
        let out = try runCommand(promtool, ["check", "metrics"], stdin: r.body)
        #expect(out.status == 0)
        #expect(out.stdout.isEmpty, "promtool: \(out.stdout)")
        #expect(out.stderr.isEmpty, "promtool: \(out.stderr)")
    }

    /// A telemetry path of the user's choosing.
    @Test func customTelemetryPath() throws {
        let agent = try AgentProcess(arguments: Self.fixtureArgs() + ["--web.telemetry-path=/kvm"])
        defer { agent.stop() }
        #expect(try agent.get("/kvm").text.contains("kvmnet_bond_up{bond=\"bond0\"} 1"))
        #expect(try agent.get("/metrics").status == 404)
    }

    /// `--no-netlink` on a host with a VLAN-filtering bridge: sysfs has no per-port VLAN
    /// list, and the agent says so once (not at every re-scan), for that bridge only.
    @Test func missingBridgeVLANsAreLoggedOnce() throws {
        let fm = FileManager.default
        let root = fm.temporaryDirectory.appendingPathComponent("kvmnet-brvlan-\(UInt64.random(in: 0...UInt64.max))").path
        try fm.copyItem(atPath: Self.fixture, toPath: root)
        defer { try? fm.removeItem(atPath: root) }
        try "1\n".write(toFile: root + "/sys/class/net/brvlan-10/bridge/vlan_filtering", atomically: true, encoding: .utf8)
        let agent = try AgentProcess(arguments: Self.fixtureArgs(root) + ["--scan.interval=1"])
        defer { agent.stop() }
        usleep(2_500_000)   // two re-scans
        agent.stop()
        let lines = agent.log.split(separator: "\n").filter { $0.contains("data not available from sysfs") }
        #expect(lines.count == 1, "\(agent.log)")
        #expect(lines.first?.contains("brvlan-10/bridge/vlan_filtering") == true)
        #expect(lines.first?.contains("no per-port VLAN lists") == true)
        #expect(!agent.log.contains("brvlan-20/bridge/vlan_filtering"))
    }
}
