import KVMNetDiagnose
import KVMNetModel
import Testing

@Suite struct BondCheckTests {
    @Test func noActiveSlaveFiresInActiveBackupWithoutActiveSlave() throws {
        var host = try Lab.kvmLayout()
        host.topology.bonds["bond0"]?.activeSlave = nil
        let report = host.snapshot().report()
        let finding = try #require(report.findings("bond.no_active_slave").first)
        #expect(finding.severity == .fail)
        #expect(finding.subject == "bond0")
        #expect(finding.explanation.hasPrefix("bond0 has no active slave."))
        let cited = try #require(finding.evidence.first)
        #expect(cited.file == "/proc/net/bonding/bond0")
        #expect(cited.line == 5)
        #expect(cited.attribute == "Currently Active Slave")
        #expect(cited.value == "None")
        #expect(report.exitCode == 1)
    }

    @Test func noActiveSlaveFiresForBondWithoutSlaves() throws {
        var host = try Lab.kvmLayout()
        host.bond("bond1", mode: .balanceXOR, slaves: [])
        let finding = try #require(host.snapshot().report().findings("bond.no_active_slave").first)
        #expect(finding.subject == "bond1")
        #expect(finding.explanation == "bond1 has no slaves. Nothing is enslaved to it, so nothing it carries leaves the host.")
    }

    @Test func noActiveSlaveQuietForLACPBondWithSlavesUp() throws {
        var host = try Lab.kvmLayout()
        host.bond("bond1", mode: .ieee8023ad, slaves: ["ens1", "ens2"])
        #expect(host.snapshot().report().findings("bond.no_active_slave").isEmpty)
    }

    @Test func activeSlaveDownFiresAndSuggestsTheUpSlave() throws {
        var host = try Lab.kvmLayout()
        host.topology.bonds["bond0"]?.slaves[0].miiStatus = .down
        let finding = try #require(host.snapshot().report().findings("bond.active_slave_down").first)
        #expect(finding.severity == .fail)
        #expect(finding.explanation.contains("transmits on veth0, which is down"))
        #expect(finding.fix.contains("active_slave veth1"))
        let slaveLine = try #require(finding.evidence.first { $0.attribute == "MII Status" })
        #expect(slaveLine.line == 13)
        #expect(slaveLine.value == "down")
    }

    @Test func degradedFiresWhenOneOfTwoSlavesIsDown() throws {
        var host = try Lab.kvmLayout()
        host.topology.bonds["bond0"]?.slaves[1].miiStatus = .down
        let report = host.snapshot().report()
        let finding = try #require(report.findings("bond.degraded").first)
        #expect(finding.severity == .warn)
        #expect(finding.explanation.hasPrefix("bond0 is degraded: veth1 is down (1 of 2 slaves up)."))
        #expect(finding.evidence.first?.line == 21)
        #expect(report.findings("bond.active_slave_down").isEmpty)
        #expect(report.exitCode == 2)
    }

    @Test func degradedQuietWhenAllSlavesAreDown() throws {
        var host = try Lab.kvmLayout()
        host.topology.bonds["bond0"]?.slaves[0].miiStatus = .down
        host.topology.bonds["bond0"]?.slaves[1].miiStatus = .down
        let report = host.snapshot().report()
        #expect(report.findings("bond.degraded").isEmpty)
        #expect(report.findings("bond.active_slave_down").count == 1)
    }

    @Test func noLinkMonitoringFiresWhenMiimonAndArpIntervalAreZero() throws {
        var host = try Lab.kvmLayout()
        host.topology.bonds["bond0"]?.miimonMs = 0
        let finding = try #require(host.snapshot().report().findings("bond.no_link_monitoring").first)
        #expect(finding.evidence.map(\.attribute) == ["MII Polling Interval (ms)", "ARP Polling Interval (ms)"])
        #expect(finding.evidence.first?.line == 7)
        #expect(finding.fix.contains("miimon 100"))
    }

    @Test func noLinkMonitoringQuietWithArpMonitoring() throws {
        var host = try Lab.kvmLayout()
        host.topology.bonds["bond0"]?.miimonMs = 0
        host.topology.bonds["bond0"]?.arpIntervalMs = 1000
        #expect(host.snapshot().report().findings("bond.no_link_monitoring").isEmpty)
    }

    private func lacpHost(partner: String) throws -> HostBuilder {
        var host = try Lab.kvmLayout()
        host.bond("bond1", mode: .ieee8023ad, slaves: ["ens1", "ens2"])
        host.topology.bonds["bond1"]?.lacp = LACPInfo(
            rate: "slow", activeAggregator: LACPAggregator(id: 1, ports: 1, actorKey: 15, partnerKey: 1, partnerMAC: partner))
        host.topology.bonds["bond1"]?.slaves[0].aggregatorID = 1
        host.topology.bonds["bond1"]?.slaves[1].aggregatorID = 1
        return host
    }

    @Test func lacpNoPartnerFiresOnZeroPartnerMAC() throws {
        let finding = try #require(try lacpHost(partner: "00:00:00:00:00:00").snapshot().report().findings("bond.lacp_no_partner").first)
        #expect(finding.severity == .fail)
        #expect(finding.subject == "bond1")
        #expect(finding.explanation.contains("the partner MAC is 00:00:00:00:00:00"))
        #expect(finding.evidence.first?.attribute == "Partner Mac Address")
        #expect(finding.evidence.first?.value == "00:00:00:00:00:00")
    }

    @Test func lacpNoPartnerQuietWithPartner() throws {
        let report = try lacpHost(partner: "02:1c:73:00:00:99").snapshot().report()
        #expect(report.findings("bond.lacp_no_partner").isEmpty)
        #expect(report.outcome("bond.lacp_no_partner")?.status == .passed)
    }

    @Test func lacpNoPartnerSkippedWhenNotRootHidesTheAggregator() throws {
        var host = try lacpHost(partner: "00:00:00:00:00:00")
        host.topology.bonds["bond1"]?.lacp = LACPInfo(rate: "slow", activeAggregator: nil, aggregatorVisible: false)
        host.runningAsRoot = false
        let outcome = try #require(host.snapshot().report().outcome("bond.lacp_no_partner"))
        #expect(outcome.status == .skipped)
        #expect(outcome.reason?.hasPrefix("needs root") == true)
    }

    @Test func lacpAggregatorMismatchFiresForSlaveOutsideTheActiveAggregator() throws {
        var host = try lacpHost(partner: "02:1c:73:00:00:99")
        host.topology.bonds["bond1"]?.slaves[1].aggregatorID = 2
        let finding = try #require(host.snapshot().report().findings("bond.lacp_aggregator_mismatch").first)
        #expect(finding.severity == .warn)
        #expect(finding.explanation.contains("ens2 while bond1 transmits on aggregator 1"))
        #expect(finding.devices == ["bond1", "ens2"])
    }

    @Test func lacpAggregatorMismatchQuietWhenAllShareTheAggregator() throws {
        #expect(try lacpHost(partner: "02:1c:73:00:00:99").snapshot().report().findings("bond.lacp_aggregator_mismatch").isEmpty)
    }

    @Test(arguments: [BondMode.balanceRR, .balanceXOR, .broadcast])
    func modeNeedsSwitchFiresForStaticModes(mode: BondMode) throws {
        var host = try Lab.kvmLayout()
        host.bond("bond1", mode: mode, slaves: ["ens1", "ens2"])
        let finding = try #require(host.snapshot().report().findings("bond.mode_needs_switch").first)
        #expect(finding.severity == .warn)
        #expect(finding.explanation.hasPrefix("bond1 runs \(mode.rawValue), which needs a static port-channel"))
    }

    @Test func modeNeedsSwitchQuietForLACP() throws {
        #expect(try lacpHost(partner: "02:1c:73:00:00:99").snapshot().report().findings("bond.mode_needs_switch").isEmpty)
    }

    @Test func slaveSpeedMismatchFires() throws {
        var host = try Lab.kvmLayout()
        host.topology.bonds["bond0"]?.slaves[1].speedMbps = 1000
        let finding = try #require(host.snapshot().report().findings("bond.slave_speed_mismatch").first)
        #expect(finding.explanation.hasPrefix("bond0's slaves run at different speeds: veth0 10000 Mb/s, veth1 1000 Mb/s."))
        #expect(finding.fix.contains("ethtool veth1"))
        #expect(finding.evidence.map(\.line) == [14, 22])
    }

    @Test func slaveSpeedMismatchIgnoresDownSlaves() throws {
        var host = try Lab.kvmLayout()
        host.topology.bonds["bond0"]?.slaves[1].speedMbps = 1000
        host.topology.bonds["bond0"]?.slaves[1].miiStatus = .down
        #expect(host.snapshot().report().findings("bond.slave_speed_mismatch").isEmpty)
    }
}
