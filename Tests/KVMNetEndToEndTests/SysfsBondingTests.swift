import Foundation
import Testing

/// Issue 12, the built agent with `--no-netlink` re-reading sysfs every second:
/// `bonding_masters` (a file among the devices wherever the bonding module is loaded)
/// counts no error however many scans run.
@Suite(.serialized)
struct SysfsBondingTests {
    /// The metrics once the agent has rescanned the tree a few times (1 s interval).
    static func metricsAfterScans(_ root: String) throws -> String {
        let agent = try AgentProcess(arguments: GoldenMetricsTests.fixtureArgs(root) + ["--scan.interval=1"])
        defer { agent.stop() }
        usleep(3_500_000)
        let text = try agent.get("/metrics").text
        #expect(agent.process.isRunning)
        return text
    }

    @Test func bondingMastersCountsNoErrorOverScans() throws {
        // The golden fixture host has /sys/class/net/bonding_masters, as every host with bonds.
        let fixture = GoldenMetricsTests.fixture
        #expect(FileManager.default.fileExists(atPath: fixture + "/sys/class/net/bonding_masters"))
        let text = try Self.metricsAfterScans(fixture)
        #expect(text.contains("kvmnet_source_errors_total{source=\"sysfs\"} 0\n"))
        #expect(!text.contains("bonding_masters"))
        #expect(text.contains("kvmnet_bond_slaves{bond=\"bond0\"} 2\n"))
    }
}
