import Foundation
import Testing

/// Issue 12, the built agent with `--no-netlink` re-reading sysfs every second:
/// `bonding_masters` (a file among the devices wherever the bonding module is loaded)
/// counts no error however many scans run, and a tree in the older layout
/// (Tests/Fixtures/legacy-bonding: slaves linked as `slave_<dev>`, listed in
/// `bonding/slaves`, most without a directory of their own) reports its slaves.
@Suite(.serialized)
struct SysfsBondingTests {
    static let legacy = AgentProcess.repositoryRoot.appendingPathComponent("Tests/Fixtures/legacy-bonding").path

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

    @Test func legacyLayoutSlavesAreCounted() throws {
        let text = try Self.metricsAfterScans(Self.legacy)
        for line in [
            "kvmnet_source_errors_total{source=\"sysfs\"} 0",
            // bond0: only bonding/slaves and slave_<dev>/ directories
            "kvmnet_bond_slaves{bond=\"bond0\"} 2",
            "kvmnet_bond_slaves_up{bond=\"bond0\"} 2",
            "kvmnet_bond_slave_up{bond=\"bond0\",slave=\"eth0\"} 1",
            "kvmnet_bond_slave_link_failures_total{bond=\"bond0\",slave=\"eth4\"} 2",
            // bond1: eth5 with its own directory, eth1 only through slave_eth1/
            "kvmnet_bond_slaves{bond=\"bond1\"} 2",
            "kvmnet_bond_slaves_up{bond=\"bond1\"} 1",
            "kvmnet_bond_slave_up{bond=\"bond1\",slave=\"eth1\"} 0",
            "kvmnet_bond_slave_link_failures_total{bond=\"bond1\",slave=\"eth1\"} 3",
            "kvmnet_bond_slave_link_failures_total{bond=\"bond1\",slave=\"eth5\"} 1",
            "kvmnet_bond_slave_active{bond=\"bond1\",slave=\"eth1\"} 0",
            "kvmnet_bond_slave_active{bond=\"bond1\",slave=\"eth5\"} 1",
            "kvmnet_bond_active_slave_info{bond=\"bond1\",slave=\"eth5\"} 1",
            // bond2 repeats bond0's ifindex: the rescans keep both
            "kvmnet_bond_slaves{bond=\"bond2\"} 0",
            // bond3: no bonding/slaves file, lower_<dev>/ only
            "kvmnet_bond_slaves{bond=\"bond3\"} 2",
            "kvmnet_bond_slaves_up{bond=\"bond3\"} 1",
            "kvmnet_bond_slave_up{bond=\"bond3\",slave=\"eth7\"} 0",
            // a static tree: no transition however many rescans
            "kvmnet_bond_slave_transitions_total{bond=\"bond1\",slave=\"eth1\",to=\"down\"} 0",
        ] {
            #expect(text.contains(line + "\n"), "missing: \(line)")
        }
        #expect(!text.contains("bonding_masters"))
    }
}
