import Foundation
import KVMNetModel
import Testing

import KVMNetSources

/// Reads the copies of /work/shared/reference/procfs-samples kept in `Fixtures/proc/`.
enum ProcfsParserFixture {
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
        .appendingPathComponent("proc")

    static func text(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    /// Every fixture file name except README.md, sorted.
    static func allNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".txt") }
            .sorted()
    }

    static func bonding(_ name: String, bond: String = "bond0") throws -> BondingFile {
        try BondingFileParser.parse(try text(name), name: bond, file: name)
    }
}

/// The error a parse threw, or nil when it succeeded.
func procfsParseError(_ body: () throws(ProcfsParseError) -> Void) -> ProcfsParseError? {
    do {
        try body()
        return nil
    } catch {
        return error
    }
}

/// One test per bonding fixture: the values read from the file by eye.
@Suite struct BondingFileParserTests {
    @Test func synth8023adNoActiveAggregatorAggregatorNA() throws {
        let f = try ProcfsParserFixture.bonding("SYNTH_bonding_802.3ad_no-active-aggregator_agg-NA_6.x_root.txt")
        #expect(f.driverVersion == "v6.1.0-18-amd64")
        #expect(f.bond.name == "bond0")
        #expect(f.bond.mode == .ieee8023ad)
        #expect(f.bond.xmitHashPolicy == "layer3+4")
        #expect(f.bond.miiUp == false)
        #expect(f.bond.miimonMs == 100)
        #expect(f.bond.updelayMs == 200)
        #expect(f.bond.downdelayMs == 200)
        #expect(f.peerNotificationDelayMs == 0)
        #expect(f.bond.minLinks == 0)
        #expect(f.bond.activeSlave == nil)
        #expect(f.bond.failOverMAC == nil)
        #expect(f.hasNoActiveAggregator)
        let lacp = try #require(f.bond.lacp)
        #expect(lacp.active == true)
        #expect(lacp.rate == "slow")
        #expect(lacp.adSelect == "stable")
        #expect(lacp.systemPriority == 65535)
        #expect(lacp.systemMAC == "52:54:00:aa:bb:01")
        #expect(lacp.activeAggregator == nil)
        #expect(lacp.aggregatorVisible)
        #expect(f.bond.slaves.count == 1)
        let eth0 = try #require(f.bond.slave(named: "eth0"))
        #expect(eth0.miiStatus == .down)
        #expect(eth0.speedMbps == nil)
        #expect(eth0.duplex == nil)
        #expect(eth0.linkFailureCount == 1)
        #expect(eth0.permanentAddress == "52:54:00:aa:bb:01")
        #expect(eth0.queueID == 0)
        #expect(eth0.aggregatorID == nil)  // "Aggregator ID: N/A"
        #expect(eth0.actorChurnState == nil)
        #expect(eth0.actorChurnedCount == nil)
        #expect(eth0.isActive == nil)
        #expect(f.unknownLines.isEmpty)
        #expect(f.lacpDetails.isEmpty)
    }

    @Test func synthActiveBackupARPMonitorNSTargetsFailOverMAC() throws {
        let f = try ProcfsParserFixture.bonding(
            "SYNTH_bonding_active-backup_arp-monitor_ns-targets_fail_over_mac_6.x.txt")
        #expect(f.driverVersion == "v6.8.0-31-generic")
        #expect(f.bond.mode == .activeBackup)
        #expect(f.bond.failOverMAC == "active")
        #expect(f.bond.primary == "eth0")
        #expect(f.primaryReselect == "always")
        #expect(f.bond.activeSlave == "eth0")
        #expect(f.bond.miiUp)
        #expect(f.bond.miimonMs == 0)
        #expect(f.bond.arpIntervalMs == 1000)
        #expect(f.arpMissedMax == 2)
        #expect(f.bond.arpTargets == ["192.168.1.1", "192.168.1.2"])
        #expect(f.nsTargets == ["2001:db8::1"])
        #expect(f.peerNotificationDelayMs == 0)
        #expect(f.bond.xmitHashPolicy == nil)
        #expect(f.bond.lacp == nil)
        #expect(f.bond.slaves.map(\.name) == ["eth0", "eth1"])
        #expect(f.bond.slaves.map(\.miiStatus) == [.up, .goingBack])
        #expect(f.bond.slaves.map(\.isActive) == [true, false])
        #expect(f.bond.slaves.map(\.linkFailureCount) == [0, 3])
        #expect(f.bond.slaves.map(\.speedMbps) == [10000, 10000])
        #expect(f.bond.slaves.map(\.duplex) == ["full", "full"])
        #expect(f.bond.slaves.map(\.permanentAddress) == ["52:54:00:aa:bb:01", "52:54:00:aa:bb:02"])
        #expect(f.bond.slavesUp == 1)  // "going back" is not up
        #expect(f.unknownLines.isEmpty)
    }

    @Test func synthBalanceTLBWithHashPolicy() throws {
        let f = try ProcfsParserFixture.bonding("SYNTH_bonding_balance-tlb_tlb_dynamic_lb-0_rhel7.9.txt")
        #expect(f.driverVersion == "v3.7.1 (April 27, 2011)")
        #expect(f.bond.mode == .balanceTLB)
        #expect(f.bond.xmitHashPolicy == "layer2")
        #expect(f.bond.primary == nil)
        #expect(f.primaryReselect == nil)
        #expect(f.bond.activeSlave == "eth0")
        #expect(f.bond.miimonMs == 100)
        #expect(f.peerNotificationDelayMs == nil)
        #expect(f.bond.failOverMAC == nil)
        #expect(f.bond.slaves.map(\.name) == ["eth0", "eth1"])
        #expect(f.bond.slaves.map(\.miiStatus) == [.up, .goingDown])
        #expect(f.bond.slaves.map(\.isActive) == [nil, nil])  // tlb: procfs cannot tell; the kernel keeps all active
        #expect(f.bond.slaves.map(\.speedMbps) == [1000, 1000])
        #expect(f.bond.slavesUp == 2)  // "going down" still counts as up
    }

    @Test func lacpNoCapNetAdminSlaveDown() throws {
        let f = try ProcfsParserFixture.bonding("bonding_802.3ad_no-CAP_NET_ADMIN_slave-down_telegraf.txt")
        #expect(f.driverVersion == "v3.7.1 (April 27, 2011)")
        #expect(f.bond.mode == .ieee8023ad)
        #expect(f.bond.xmitHashPolicy == "layer2")
        #expect(f.bond.miiUp)
        #expect(f.bond.minLinks == 0)
        let lacp = try #require(f.bond.lacp)
        #expect(lacp.rate == "fast")
        #expect(lacp.adSelect == "stable")
        #expect(lacp.active == nil)
        #expect(lacp.systemPriority == nil)
        #expect(lacp.systemMAC == nil)
        #expect(lacp.activeAggregator == nil)
        #expect(lacp.aggregatorVisible == false)
        #expect(f.hasNoActiveAggregator == false)
        #expect(f.bond.slaves.map(\.name) == ["eth0", "eth1"])
        #expect(f.bond.slaves.map(\.miiStatus) == [.up, .down])
        #expect(f.bond.slaves.map(\.speedMbps) == [10000, nil])
        #expect(f.bond.slaves.map(\.duplex) == ["full", nil])
        #expect(f.bond.slaves.map(\.linkFailureCount) == [2, 1])
        #expect(f.bond.slaves.map(\.permanentAddress) == ["3c:ec:ef:5e:71:58", "3c:ec:ef:5e:71:59"])
        #expect(f.bond.slaves.map(\.aggregatorID) == [2, 2])
        #expect(f.bond.slaves.map(\.actorChurnState) == [ChurnState.none, ChurnState.none])
        #expect(f.bond.slaves.map(\.partnerChurnState) == [ChurnState.none, ChurnState.none])
        #expect(f.bond.slaves.map(\.actorChurnedCount) == [2, 0])
        #expect(f.bond.slaves.map(\.partnerChurnedCount) == [0, 0])
        #expect(f.bond.slaves.map(\.actorPortState) == [nil, nil])
        #expect(f.bond.slaves.map(\.isActive) == [nil, nil])
        #expect(f.lacpDetails.isEmpty)
        #expect(f.unknownLines.isEmpty)
    }

    @Test func lacpNoCapNetAdminBothUp() throws {
        let f = try ProcfsParserFixture.bonding("bonding_802.3ad_no-CAP_NET_ADMIN_telegraf-sampleTestLACP.txt")
        #expect(f.bond.mode == .ieee8023ad)
        #expect(f.bond.lacp?.aggregatorVisible == false)
        #expect(f.bond.lacp?.rate == "fast")
        #expect(f.bond.slaves.map(\.miiStatus) == [.up, .up])
        #expect(f.bond.slaves.map(\.speedMbps) == [10000, 10000])
        #expect(f.bond.slaves.map(\.linkFailureCount) == [2, 1])
        #expect(f.bond.slaves.map(\.aggregatorID) == [2, 2])
        #expect(f.bond.slaves.map(\.actorChurnedCount) == [2, 0])
        #expect(f.bond.slavesUp == 2)
    }

    @Test func lacpPartnerNotLACPChurned() throws {
        let f = try ProcfsParserFixture.bonding(
            "bonding_802.3ad_rhel7.x_partner-not-lacp_slave-down_churned.txt")
        #expect(f.bond.xmitHashPolicy == "layer3+4")
        let lacp = try #require(f.bond.lacp)
        #expect(lacp.rate == "fast")
        #expect(lacp.systemPriority == 65535)
        #expect(lacp.systemMAC == "00:25:90:85:81:f2")
        #expect(lacp.aggregatorVisible)
        #expect(
            lacp.activeAggregator
                == LACPAggregator(id: 2, ports: 1, actorKey: 9, partnerKey: 1, partnerMAC: "00:00:00:00:00:00"))
        #expect(lacp.activeAggregator?.partnerPresent == false)

        let down = try #require(f.bond.slave(named: "enp1s0f0"))
        #expect(down.miiStatus == .down)
        #expect(down.speedMbps == nil)
        #expect(down.linkFailureCount == 2)
        #expect(down.aggregatorID == 1)
        #expect(down.actorChurnState == .churned)
        #expect(down.partnerChurnState == .churned)
        #expect(down.actorChurnedCount == 1)
        #expect(down.partnerChurnedCount == 2)
        #expect(down.actorPortState == 71)
        #expect(down.partnerPortState == 1)
        #expect(down.partnerSystemMAC == "00:00:00:00:00:00")

        let up = try #require(f.bond.slave(named: "enp1s0f1"))
        #expect(up.miiStatus == .up)
        #expect(up.speedMbps == 1000)
        #expect(up.duplex == "full")
        #expect(up.permanentAddress == "00:25:90:85:81:f3")
        #expect(up.aggregatorID == 2)
        #expect(up.actorChurnState == ChurnState.none)
        #expect(up.partnerChurnState == .churned)
        #expect(up.actorChurnedCount == 1)
        #expect(up.partnerChurnedCount == 3)
        #expect(up.actorPortState == 79)
        #expect(up.partnerPortState == 1)

        let downDetails = try #require(f.lacpDetails["enp1s0f0"])
        #expect(
            downDetails.actor
                == BondingFile.LACPDU(
                    systemPriority: 65535, systemMAC: "00:25:90:85:81:f2", key: 0, portPriority: 255,
                    portNumber: 1, portState: 71))
        #expect(
            downDetails.partner
                == BondingFile.LACPDU(
                    systemPriority: 65535, systemMAC: "00:00:00:00:00:00", key: 1, portPriority: 255,
                    portNumber: 1, portState: 1))
        #expect(f.lacpDetails["enp1s0f1"]?.actor?.key == 9)
        #expect(f.lacpDetails["enp1s0f1"]?.actor?.portNumber == 2)
        #expect(f.unknownLines.isEmpty)
    }

    @Test func lacpInsightsFourTabsChurnAndPDUs() throws {
        let f = try ProcfsParserFixture.bonding(
            "bonding_802.3ad_rhel7_churn_lacp-pdu_slave-down_insights-BOND_MODE_4.txt")
        #expect(f.bond.updelayMs == 2000)
        #expect(f.bond.downdelayMs == 1000)
        let lacp = try #require(f.bond.lacp)
        #expect(lacp.rate == "slow")
        #expect(lacp.systemMAC == "08:00:27:99:a3:6b")
        #expect(
            lacp.activeAggregator
                == LACPAggregator(id: 1, ports: 1, actorKey: 9, partnerKey: 1, partnerMAC: "00:00:00:00:00:00"))
        #expect(f.bond.slaves.map(\.name) == ["enp0s9", "enp0s8"])
        #expect(f.bond.slaves.map(\.miiStatus) == [.up, .down])
        #expect(f.bond.slaves.map(\.aggregatorID) == [1, 2])
        #expect(f.bond.slaves.map(\.actorChurnState) == [ChurnState.none, .churned])
        #expect(f.bond.slaves.map(\.partnerChurnState) == [.churned, .churned])
        #expect(f.bond.slaves.map(\.actorChurnedCount) == [0, 1])
        #expect(f.bond.slaves.map(\.partnerChurnedCount) == [1, 1])
        #expect(f.bond.slaves.map(\.actorPortState) == [77, 69])
        #expect(f.bond.slaves.map(\.partnerPortState) == [1, 1])
        #expect(f.bond.slaves.map(\.partnerSystemMAC) == ["00:00:00:00:00:00", "00:00:00:00:00:00"])
        #expect(f.lacpDetails["enp0s8"]?.actor?.key == 0)
        #expect(f.lacpDetails["enp0s8"]?.actor?.portNumber == 2)
        #expect(f.lacpDetails["enp0s9"]?.partner?.key == 1)
        #expect(f.unknownLines.isEmpty)
    }

    @Test func lacpUbuntu2204LACPActiveWithPartner() throws {
        let f = try ProcfsParserFixture.bonding(
            "bonding_802.3ad_ubuntu22.04_5.15.0-91-generic_lacp-active_partner.txt")
        #expect(f.driverVersion == "v5.15.0-91-generic")
        #expect(f.peerNotificationDelayMs == 0)
        let lacp = try #require(f.bond.lacp)
        #expect(lacp.active == true)
        #expect(lacp.rate == "fast")
        #expect(lacp.systemMAC == "9e:4c:92:27:59:7d")
        let aggregator = try #require(lacp.activeAggregator)
        #expect(aggregator == LACPAggregator(id: 1, ports: 2, actorKey: 9, partnerKey: 9, partnerMAC: "8a:a3:b3:dc:c5:fb"))
        #expect(aggregator.partnerPresent)
        #expect(f.bond.slaves.map(\.name) == ["eth1", "eth2"])
        #expect(f.bond.slaves.map(\.aggregatorID) == [1, 1])
        #expect(f.bond.slaves.map(\.actorPortState) == [15, 63])
        #expect(f.bond.slaves.map(\.partnerPortState) == [55, 63])
        #expect(f.bond.slaves.map(\.partnerChurnState) == [.churned, ChurnState.none])
        #expect(f.bond.slaves.map(\.partnerChurnedCount) == [1, 0])
        #expect(f.bond.slaves.map(\.partnerSystemMAC) == ["8a:a3:b3:dc:c5:fb", "8a:a3:b3:dc:c5:fb"])
        #expect(f.bond.slaves.map(\.permanentAddress) == ["08:00:27:63:6a:11", "08:00:27:81:2d:34"])
        #expect(f.lacpDetails["eth1"]?.partner?.portNumber == 2)
        #expect(f.lacpDetails["eth1"]?.partner?.key == 9)
        #expect(f.lacpDetails["eth2"]?.actor?.portNumber == 2)
        #expect(f.lacpDetails["eth2"]?.actor?.systemMAC == "9e:4c:92:27:59:7d")
    }

    @Test func lacpRHEL5EraEditedInjectedBareSpeedAndSpaceIndent() throws {
        let f = try ProcfsParserFixture.bonding(
            "bonding_802.3ad_v3.2.4-rhel5-era_EDITED_insights-BONDINFO_MODE_4.txt")
        #expect(f.driverVersion == "v3.2.4 (January 28, 2008)")
        #expect(f.bond.miimonMs == 500)
        let lacp = try #require(f.bond.lacp)
        #expect(lacp.rate == "slow")
        #expect(lacp.adSelect == nil)
        #expect(lacp.systemPriority == nil)
        #expect(f.bond.minLinks == nil)
        #expect(lacp.aggregatorVisible)  // this era printed the block to everyone
        #expect(
            lacp.activeAggregator
                == LACPAggregator(id: 3, ports: 1, actorKey: 17, partnerKey: 1, partnerMAC: "00:00:00:00:00:00"))
        #expect(f.bond.slaves.map(\.name) == ["eth1", "eth2"])
        #expect(f.bond.slaves.map(\.aggregatorID) == [3, 2])
        #expect(f.bond.slaves.map(\.queueID) == [nil, nil])
        #expect(f.bond.slaves.map(\.actorChurnState) == [nil, nil])
        // The injected bare "Speed" line is kept and does not erase "Speed: 1000 Mbps".
        #expect(f.bond.slaves.map(\.speedMbps) == [1000, 1000])
        #expect(f.unknownLines == [BondingFile.KeyValue(key: "Speed", value: "", slave: "eth2")])
        #expect(f.bond.slaves.map(\.permanentAddress) == ["00:16:35:5e:42:fc", "00:16:35:5e:02:7e"])
    }

    @Test func activeBackupARPMonitorPrimaryReselect() throws {
        let f = try ProcfsParserFixture.bonding(
            "bonding_active-backup_arp-monitor_primary_reselect_insights-BONDINFO_MODE_7.txt")
        #expect(f.bond.mode == .activeBackup)
        #expect(f.bond.failOverMAC == "none")
        #expect(f.bond.primary == "em3")
        #expect(f.primaryReselect == "failure")
        #expect(f.bond.activeSlave == "em3")
        #expect(f.bond.miimonMs == 0)
        #expect(f.bond.arpIntervalMs == 1000)
        #expect(f.bond.arpTargets == ["10.152.1.1"])
        #expect(f.arpMissedMax == nil)
        #expect(f.nsTargets == [])
        #expect(f.bond.slaves.map(\.name) == ["em3", "p2p3"])
        #expect(f.bond.slaves.map(\.linkFailureCount) == [92028, 71524])
        #expect(f.bond.slaves.map(\.isActive) == [true, false])
        #expect(f.bond.slaves.map(\.permanentAddress) == ["00:1f:f3:af:d3:f1", "00:1f:f3:af:d3:f1"])
    }

    @Test func activeBackupPrimaryNone() throws {
        let f = try ProcfsParserFixture.bonding("bonding_active-backup_primary-None_insights-BONDINFO_MODE_5.txt")
        #expect(f.bond.mode == .activeBackup)
        #expect(f.bond.primary == nil)
        #expect(f.primaryReselect == nil)
        #expect(f.bond.activeSlave == "enp17s0f0")
        #expect(f.bond.arpIntervalMs == 0)
        #expect(f.bond.arpTargets == [])
        #expect(f.bond.slaves.map(\.name) == ["enp17s0f0", "enp17s0f1"])
        #expect(f.bond.slaves.map(\.isActive) == [true, false])
        #expect(f.bond.slaves.map(\.speedMbps) == [10000, 10000])
        #expect(f.bond.slaves.map(\.permanentAddress) == ["00:1f:f3:af:d3:f0", "00:1f:f3:af:d3:f1"])
    }

    @Test func activeBackupRHEL8PeerNotificationDelay() throws {
        let f = try ProcfsParserFixture.bonding("bonding_active-backup_rhel8_4.18_v3.7.1_peer-notif.txt")
        #expect(f.driverVersion == "v3.7.1 (April 27, 2011)")
        #expect(f.peerNotificationDelayMs == 0)
        #expect(f.bond.activeSlave == "ens5f0")
        #expect(f.bond.slaves.map(\.name) == ["ens5f0", "ens6f1"])
        #expect(f.bond.slaves.map(\.speedMbps) == [25000, 25000])
        #expect(f.bond.slaves.map(\.isActive) == [true, false])
        #expect(f.bond.slaves.map(\.permanentAddress) == ["ec:e7:a7:0d:ac:f0", "ec:e7:a7:0d:a2:b1"])
    }

    @Test func activeBackupBlankPermanentAddressMissingQueueID() throws {
        let f = try ProcfsParserFixture.bonding("bonding_active-backup_slave-down_telegraf-sampleTestAB.txt")
        #expect(f.driverVersion == "v3.6.0 (September 26, 2009)")
        #expect(f.bond.primary == "eth2")
        #expect(f.primaryReselect == "always")
        #expect(f.bond.activeSlave == "eth2")
        #expect(f.bond.slaves.map(\.name) == ["eth3", "eth2"])
        #expect(f.bond.slaves.map(\.miiStatus) == [.down, .up])
        #expect(f.bond.slaves.map(\.speedMbps) == [1000, 100])
        #expect(f.bond.slaves.map(\.linkFailureCount) == [2, 0])
        #expect(f.bond.slaves.map(\.permanentAddress) == [nil, nil])
        #expect(f.bond.slaves.map(\.queueID) == [0, nil])
        #expect(f.bond.slaves.map(\.isActive) == [false, true])
        #expect(f.unknownLines.isEmpty)
    }

    @Test func balanceALBFailOverMACNotShown() throws {
        let f = try ProcfsParserFixture.bonding("bonding_balance-alb_rhel7_fail_over_mac-not-shown.txt")
        #expect(f.bond.mode == .balanceALB)
        #expect(f.bond.failOverMAC == nil)
        #expect(f.bond.xmitHashPolicy == nil)
        #expect(f.bond.primary == nil)
        #expect(f.bond.activeSlave == "ens36")
        #expect(f.bond.slaves.map(\.name) == ["ens35", "ens36"])
        #expect(f.bond.slaves.map(\.isActive) == [nil, nil])  // alb: procfs cannot tell; the kernel keeps all active
        #expect(f.bond.slaves.map(\.permanentAddress) == ["00:0c:29:2f:f9:7d", "00:0c:29:2f:f9:87"])
    }

    @Test func balanceRRNoSlavesVendorKernel() throws {
        let f = try ProcfsParserFixture.bonding("bonding_balance-rr_no-slaves_vendor-4.18.0_bond0.txt")
        #expect(f.driverVersion == "v4.18.0 (Apr 7, 2025)")
        #expect(f.bond.mode == .balanceRR)
        #expect(f.bond.miiUp == false)
        #expect(f.bond.miimonMs == 0)
        #expect(f.peerNotificationDelayMs == 0)
        #expect(f.bond.slaves.isEmpty)
        #expect(f.bond.lacp == nil)
        #expect(f.bond.activeSlave == nil)
        #expect(f.unknownLines.isEmpty)
    }

    @Test func balanceRRRHEL7() throws {
        let f = try ProcfsParserFixture.bonding("bonding_balance-rr_rhel7_insights-BONDINFO_1.txt")
        #expect(f.bond.mode == .balanceRR)
        #expect(f.bond.xmitHashPolicy == nil)
        #expect(f.bond.miiUp)
        #expect(f.bond.miimonMs == 100)
        #expect(f.bond.slaves.map(\.name) == ["eno1", "eno2"])
        #expect(f.bond.slaves.map(\.isActive) == [nil, nil])
        #expect(f.bond.slaves.map(\.permanentAddress) == ["2c:44:fd:80:5c:f8", "2c:44:fd:80:5c:f9"])
        #expect(f.bond.slaves.map(\.queueID) == [0, 0])
    }

    @Test func balanceXORLayer2Plus3() throws {
        let f = try ProcfsParserFixture.bonding("bonding_balance-xor_layer2+3_insights-BONDINFO_MODE_2.txt")
        #expect(f.bond.mode == .balanceXOR)
        #expect(f.bond.xmitHashPolicy == "layer2+3")
        #expect(f.bond.slaves.map(\.name) == ["eno1", "eno2"])
        #expect(f.bond.slaves.map(\.miiStatus) == [.up, .up])
        #expect(f.bond.slaves.map(\.speedMbps) == [1000, 1000])
        #expect(f.bond.lacp == nil)
    }

    /// Every fixture file parses with the parser its name selects (catches a new fixture
    /// that would break parsing even before someone writes its dedicated test).
    @Test func everyFixtureParses() throws {
        let names = try ProcfsParserFixture.allNames()
        #expect(names.count == 21)
        for name in names {
            let text = try ProcfsParserFixture.text(name)
            if name.contains("bonding_") {
                _ = try BondingFileParser.parse(text, name: "bond0", file: name)
            } else if name.contains("vlan_config") {
                _ = try VLANConfigParser.parse(text, file: name)
            } else if name.contains("vlan_dev") {
                _ = try VLANDeviceParser.parse(text, file: name)
            } else {
                Issue.record("fixture \(name) matches no parser")
            }
        }
    }
}
