import Foundation
import Testing

/// Malformed, truncated and vanishing files give a log line and
/// `kvmnet_source_errors_total` + 1; the scrape still succeeds with everything else.
@Suite(.serialized)
struct BadInputTests {
    /// A private copy of the fixture host to break.
    func copyFixture() throws -> String {
        let dir = NSTemporaryDirectory() + "kvmnet-bad-\(UUID().uuidString)"
        let out = try runCommand("/bin/cp", ["-a", GoldenMetricsTests.fixture, dir])
        #expect(out.status == 0)
        return dir
    }

    func value(_ text: String, _ series: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.map { String($0.split(separator: " ").last ?? "") }
    }

    @Test func malformedBondingFileIsCountedAndTheRestServed() throws {
        let root = try copyFixture()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // bond1: a non-numeric failure count; bond2: cut in the middle of its first line.
        let bond1 = root + "/proc/net/bonding/bond1"
        let text = try String(contentsOfFile: bond1, encoding: .utf8)
        try text.replacingOccurrences(of: "Link Failure Count: 0", with: "Link Failure Count: lots")
            .write(toFile: bond1, atomically: true, encoding: .utf8)
        try "Ethernet Channel Bond".write(toFile: root + "/proc/net/bonding/bond2", atomically: true, encoding: .utf8)
        let agent = try AgentProcess(arguments: GoldenMetricsTests.fixtureArgs(root))
        defer { agent.stop() }
        let r = try agent.get("/metrics")
        #expect(r.status == 200)
        #expect(value(r.text, "kvmnet_source_errors_total{source=\"procfs_bonding\"}") == "2")
        // bond1 still comes from sysfs; only the procfs-only values (speed, churn) are gone.
        #expect(value(r.text, "kvmnet_bond_slaves_up{bond=\"bond1\"}") == "2")
        #expect(value(r.text, "kvmnet_bond_slave_speed_bytes{bond=\"bond1\",slave=\"ens2f0\"}") == nil)
        #expect(value(r.text, "kvmnet_bond_slave_speed_bytes{bond=\"bond0\",slave=\"ens1f0\"}") == "1250000000")
        agent.stop()
        #expect(agent.log.contains("procfs_bonding"))
        #expect(agent.log.contains("lots"))
    }

    @Test func deviceVanishedMidReadIsCountedAndLeftOut() throws {
        let root = try copyFixture()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // What a device deleted between the directory listing and the reads looks like.
        try FileManager.default.removeItem(atPath: root + "/sys/class/net/vnet1/operstate")
        let agent = try AgentProcess(arguments: GoldenMetricsTests.fixtureArgs(root))
        defer { agent.stop() }
        let r = try agent.get("/metrics")
        #expect(r.status == 200)
        #expect(value(r.text, "kvmnet_source_errors_total{source=\"sysfs\"}") == "1")
        #expect(!r.text.contains("device=\"vnet1\""))
        #expect(value(r.text, "kvmnet_link_up{device=\"vnet0\",kind=\"tap\"}") == "1")
    }

    @Test func corruptBrforwardAndVLANConfig() throws {
        let root = try copyFixture()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: root + "/sys/class/net/brvlan-20/brforward"))
        try "garbage\n".write(toFile: root + "/proc/net/vlan/config", atomically: true, encoding: .utf8)
        let agent = try AgentProcess(arguments: GoldenMetricsTests.fixtureArgs(root))
        defer { agent.stop() }
        let r = try agent.get("/metrics")
        #expect(r.status == 200)
        #expect(value(r.text, "kvmnet_source_errors_total{source=\"brforward\"}") == "1")
        #expect(value(r.text, "kvmnet_source_errors_total{source=\"procfs_vlan\"}") == "1")
        #expect(value(r.text, "kvmnet_bridge_fdb_entries{bridge=\"brvlan-10\",port=\"bond0.10\",kind=\"learned\"}") == "3")
        #expect(!r.text.contains("kvmnet_bridge_fdb_entries{bridge=\"brvlan-20\""))
        #expect(!r.text.contains("kvmnet_vlan_info"))
    }

    @Test func missingTreesGiveErrorsNotACrash() throws {
        let agent = try AgentProcess(arguments: ["--no-netlink", "--path.procfs=/nonexistent/proc", "--path.sysfs=/nonexistent/sys"])
        defer { agent.stop() }
        let r = try agent.get("/metrics")
        #expect(r.status == 200)
        #expect(value(r.text, "kvmnet_source_errors_total{source=\"sysfs\"}") == "1")
        #expect(r.text.contains("kvmnet_build_info"))
    }

    @Test func badFlagsAreRefusedWithAClearError() throws {
        let out = try runCommand(AgentProcess.agentPath, ["--log.level=loud"])
        #expect(out.status != 0)
        #expect(out.stderr.contains("--log.level"))
        let out2 = try runCommand(AgentProcess.agentPath, ["--no-netlink", "--web.listen-address=nonsense"])
        #expect(out2.status != 0)
        #expect(out2.stderr.contains("listen-address"))
    }
}
