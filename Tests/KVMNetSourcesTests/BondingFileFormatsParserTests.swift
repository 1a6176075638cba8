import Foundation
import KVMNetModel
import KVMNetSources
import Testing

/// Format variants the fixtures do not cover, unknown vendor keys, and every error case.
@Suite struct BondingFileFormatsParserTests {
    static let masterAB = """
        Ethernet Channel Bonding Driver: v6.8.0-31-generic

        Bonding Mode: fault-tolerance (active-backup)
        Primary Slave: None
        Currently Active Slave: eth0
        MII Status: up
        MII Polling Interval (ms): 100
        Up Delay (ms): 0
        Down Delay (ms): 0
        Peer Notification Delay (ms): 0


        """

    static let slaveEth0 = """
        Slave Interface: eth0
        MII Status: up
        Speed: 1000 Mbps
        Duplex: full
        Link Failure Count: 0
        Permanent HW addr: 52:54:00:aa:bb:01
        Slave queue ID: 0

        """

    func parse(_ text: String) throws -> BondingFile {
        try BondingFileParser.parse(text, name: "bond0", file: "/proc/net/bonding/bond0")
    }

    func error(_ text: String) -> ProcfsParseError? {
        procfsParseError { () throws(ProcfsParseError) in
            _ = try BondingFileParser.parse(text, name: "bond0", file: "/proc/net/bonding/bond0")
        }
    }

    // MARK: modes and master lines

    @Test(
        arguments: zip(
            [
                "load balancing (round-robin)", "fault-tolerance (active-backup)", "load balancing (xor)",
                "fault-tolerance (broadcast)", "IEEE 802.3ad Dynamic link aggregation", "transmit load balancing",
                "adaptive load balancing", "unknown",
            ],
            [
                BondMode.balanceRR, .activeBackup, .balanceXOR, .broadcast, .ieee8023ad, .balanceTLB, .balanceALB,
                .unknown,
            ]))
    func everyBondingMode(description: String, mode: BondMode) throws {
        let f = try parse("Bonding Mode: \(description)\nMII Status: up\n\n" + Self.slaveEth0)
        #expect(f.bond.mode == mode)
        #expect(f.unknownLines.isEmpty)  // "unknown" is a kernel value, not an unknown line
        #expect(f.bond.slaves.first?.isActive == (mode == .activeBackup ? false : nil))
        #expect((f.bond.lacp != nil) == (mode == .ieee8023ad))
        #expect(f.bond.failOverMAC == (mode == .activeBackup ? "none" : nil))
    }

    @Test func unrecognisedModeTextIsKept() throws {
        let f = try parse("Bonding Mode: quantum entanglement (qe)\nMII Status: up\n")
        #expect(f.bond.mode == .unknown)
        #expect(f.unknownLines == [BondingFile.KeyValue(key: "Bonding Mode", value: "quantum entanglement (qe)")])
    }

    @Test(
        arguments: zip(
            ["layer2 (0)", "layer3+4 (1)", "layer2+3 (2)", "encap2+3 (3)", "encap3+4 (4)", "vlan+srcmac (5)"],
            ["layer2", "layer3+4", "layer2+3", "encap2+3", "encap3+4", "vlan+srcmac"]))
    func transmitHashPolicyWithoutNumber(printed: String, policy: String) throws {
        let f = try parse("Bonding Mode: load balancing (xor)\nTransmit Hash Policy: \(printed)\nMII Status: up\n")
        #expect(f.bond.xmitHashPolicy == policy)
    }

    @Test func failOverMACFollow() throws {
        let text = Self.masterAB.replacingOccurrences(
            of: "(active-backup)\n", with: "(active-backup) (fail_over_mac follow)\n")
        let f = try parse(text + Self.slaveEth0)
        #expect(f.bond.mode == .activeBackup)
        #expect(f.bond.failOverMAC == "follow")
        #expect(f.bond.slaves.first?.isActive == true)
    }

    @Test func emptyARPAndNSTargetLists() throws {
        let text = Self.masterAB + """
            ARP Polling Interval (ms): 500
            ARP Missed Max: 3
            ARP IP target/s (n.n.n.n form):
            NS IPv6 target/s (xx::xx form):

            """
        let f = try parse(text)
        #expect(f.bond.arpIntervalMs == 500)
        #expect(f.arpMissedMax == 3)
        #expect(f.bond.arpTargets == [])
        #expect(f.nsTargets == [])
        #expect(f.unknownLines.isEmpty)
    }

    @Test func severalNSTargets() throws {
        let text = Self.masterAB + """
            ARP Polling Interval (ms): 1000
            ARP IP target/s (n.n.n.n form): 10.0.0.1,10.0.0.2, 10.0.0.3
            NS IPv6 target/s (xx::xx form): 2001:db8::1, fe80::5054:ff:fe12:3456, ::1

            """
        let f = try parse(text)
        #expect(f.bond.arpTargets == ["10.0.0.1", "10.0.0.2", "10.0.0.3"])
        #expect(f.nsTargets == ["2001:db8::1", "fe80::5054:ff:fe12:3456", "::1"])
    }

    /// Early RHEL7 (3.10 before 7.9): aggregator block printed to everyone, no System lines,
    /// "Min links" present, "Slave queue ID" printed LAST (after the 802.3ad lines).
    @Test func earlyRHEL7QueueIDAfterAggregatorID() throws {
        let text = """
            Ethernet Channel Bonding Driver: v3.7.1 (April 27, 2011)

            Bonding Mode: IEEE 802.3ad Dynamic link aggregation
            Transmit Hash Policy: layer2 (0)
            MII Status: up
            MII Polling Interval (ms): 100
            Up Delay (ms): 0
            Down Delay (ms): 0

            802.3ad info
            LACP rate: slow
            Min links: 2
            Aggregator selection policy (ad_select): bandwidth
            Active Aggregator Info:
            \tAggregator ID: 5
            \tNumber of ports: 2
            \tActor Key: 33
            \tPartner Key: 44
            \tPartner Mac Address: AA:BB:CC:00:11:22

            Slave Interface: eth0
            MII Status: up
            Speed: 1000 Mbps
            Duplex: full
            Link Failure Count: 7
            Permanent HW addr: 00:11:22:33:44:55
            Aggregator ID: 5
            Slave queue ID: 3

            Slave Interface: eth1
            MII Status: going back
            Speed: 100 Mbps
            Duplex: half
            Link Failure Count: 8
            Permanent HW addr: 00:11:22:33:44:56
            Aggregator ID: 5
            Slave queue ID: 4

            """
        let f = try parse(text)
        let lacp = try #require(f.bond.lacp)
        #expect(f.bond.minLinks == 2)
        #expect(lacp.adSelect == "bandwidth")
        #expect(lacp.systemPriority == nil)
        #expect(lacp.aggregatorVisible)
        #expect(lacp.activeAggregator == LACPAggregator(id: 5, ports: 2, actorKey: 33, partnerKey: 44, partnerMAC: "aa:bb:cc:00:11:22"))
        #expect(f.bond.slaves.map(\.queueID) == [3, 4])
        #expect(f.bond.slaves.map(\.aggregatorID) == [5, 5])
        #expect(f.bond.slaves.map(\.linkFailureCount) == [7, 8])
        #expect(f.bond.slaves.map(\.duplex) == ["full", "half"])
        #expect(f.bond.slaves.map(\.miiStatus) == [.up, .goingBack])
        #expect(f.unknownLines.isEmpty)
    }

    @Test func everySlaveMIIStatus() throws {
        var text = "Bonding Mode: load balancing (round-robin)\nMII Status: up\n"
        let states = ["up", "going down", "down", "going back", "unknown"]
        for (i, state) in states.enumerated() {
            text += "\nSlave Interface: eth\(i)\nMII Status: \(state)\n"
        }
        let f = try parse(text)
        #expect(f.bond.slaves.map(\.miiStatus) == [.up, .goingDown, .down, .goingBack, .unknown])
    }

    @Test func oldKernelUnknownSpeedsAreNil() throws {
        let text = "Bonding Mode: load balancing (round-robin)\nMII Status: up\n\n"
            + "Slave Interface: a\nSpeed: -1 Mbps\n\nSlave Interface: b\nSpeed: 65535 Mbps\n\n"
            + "Slave Interface: c\nSpeed: Unknown\nDuplex: Unknown\n\nSlave Interface: d\nSpeed: 100000 Mbps\n"
        let f = try parse(text)
        #expect(f.bond.slaves.map(\.speedMbps) == [nil, nil, nil, 100000])
        #expect(f.bond.slaves.map(\.duplex) == [nil, nil, nil, nil])
    }

    // MARK: whitespace and line endings

    @Test func crlfLineEndingsParseTheSame() throws {
        let name = "bonding_802.3ad_ubuntu22.04_5.15.0-91-generic_lacp-active_partner.txt"
        let original = try ProcfsParserFixture.text(name)
        let crlf = original.replacingOccurrences(of: "\n", with: "\r\n")
        #expect(try parse(crlf) == parse(original))
    }

    @Test func indentationTabsSpacesOrNoneParseTheSame() throws {
        let name = "bonding_802.3ad_rhel7_churn_lacp-pdu_slave-down_insights-BOND_MODE_4.txt"
        let original = try ProcfsParserFixture.text(name)
        let reference = try parse(original)
        // No indentation at all (tools that strip leading blanks).
        let flat = original.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.drop(while: { $0 == " " || $0 == "\t" }) }
            .joined(separator: "\n")
        #expect(try parse(flat) == reference)
        // TABs everywhere the kernel uses spaces, 8 spaces where it uses TABs.
        let swapped = original.replacingOccurrences(of: "\t\t\t\t", with: "        ")
            .replacingOccurrences(of: "    ", with: "\t")
        #expect(try parse(swapped) == reference)
        // Trailing blanks after values.
        let trailing = original.replacingOccurrences(of: "\n", with: " \t\n")
        #expect(try parse(trailing) == reference)
    }

    // MARK: unknown keys

    @Test func unknownVendorKeysAreKeptNotFatal() throws {
        let text = """
            Ethernet Channel Bonding Driver: v5.10.0-huatuo

            Bonding Mode: IEEE 802.3ad Dynamic link aggregation
            Transmit Hash Policy: layer3+4 (1)
            Transmit Hash Mask: 0x00000003
            MII Status: up
            MII Polling Interval (ms): 100
            Up Delay (ms): 0
            Down Delay (ms): 0
            Vendor Banner

            802.3ad info
            LACP rate: fast
            Min links: 0
            Aggregator selection policy (ad_select): stable

            Slave Interface: eth0
            MII Status: up
            Speed: 25000 Mbps
            Duplex: full
            Link Failure Count: 4
            Permanent HW addr: 52:54:00:aa:bb:01
            Slave queue ID: 0
            Slave active: 1
            Slave sm_vars: 0x172
            Aggregator ID: 1
            Aggregator active: 1
            Vendor Note: a: b: c
            Actor Churn State: monitoring
            Partner Churn State: unknown
            Actor Churned Count: 0
            Partner Churned Count: 0
            details actor lacp pdu:
                system priority: 65535
                port weight: 9
                port state: 61
            details partner lacp pdu:
                system mac address: 52:54:00:FF:EE:01
                port state: 60

            """
        let f = try parse(text)
        #expect(
            f.unknownLines == [
                BondingFile.KeyValue(key: "Transmit Hash Mask", value: "0x00000003"),
                BondingFile.KeyValue(key: "Vendor Banner", value: ""),
                BondingFile.KeyValue(key: "Slave active", value: "1", slave: "eth0"),
                BondingFile.KeyValue(key: "Slave sm_vars", value: "0x172", slave: "eth0"),
                BondingFile.KeyValue(key: "Aggregator active", value: "1", slave: "eth0"),
                BondingFile.KeyValue(key: "Vendor Note", value: "a: b: c", slave: "eth0"),  // split on the FIRST ": "
                BondingFile.KeyValue(key: "port weight", value: "9", slave: "eth0"),
            ])
        #expect(f.bond.xmitHashPolicy == "layer3+4")
        let eth0 = try #require(f.bond.slave(named: "eth0"))
        #expect(eth0.speedMbps == 25000)
        #expect(eth0.linkFailureCount == 4)
        #expect(eth0.aggregatorID == 1)
        #expect(eth0.actorChurnState == .monitoring)
        #expect(eth0.partnerChurnState == .unknown)
        // The unknown line inside the actor block did not end the block.
        #expect(eth0.actorPortState == 61)
        #expect(eth0.partnerPortState == 60)
        #expect(eth0.partnerSystemMAC == "52:54:00:ff:ee:01")
        #expect(f.lacpDetails["eth0"]?.actor?.systemPriority == 65535)
    }

    // MARK: truncation

    @Test func fileEndingAfterSlaveInterfaceLine() throws {
        let f = try parse(Self.masterAB + Self.slaveEth0 + "\nSlave Interface: eth1\n")
        #expect(f.bond.slaves.map(\.name) == ["eth0", "eth1"])
        #expect(f.bond.slaves.map(\.miiStatus) == [.up, .unknown])
        #expect(f.bond.slaves.map(\.isActive) == [true, false])
    }

    @Test func fileEndingInsideAnEmptySlaveInterfaceLine() throws {
        let f = try parse(Self.masterAB + Self.slaveEth0 + "\nSlave Interface:\n")
        #expect(f.bond.slaves.map(\.name) == ["eth0"])
    }

    // MARK: errors

    @Test func emptyFileIsAnError() throws {
        for text in ["", "\n", "  \n\t\n\n"] {
            let e = try #require(error(text))
            #expect(e.file == "/proc/net/bonding/bond0")
            #expect(e.line == nil)
            #expect(e.message.contains("empty"))
        }
    }

    @Test func fileWithoutBondingModeIsAnError() throws {
        let vlan = try ProcfsParserFixture.text("vlan_config_ens224_two-vlans.txt")
        let e = try #require(error(vlan))
        #expect(e.message.contains("not a bonding file"))
        #expect(e.message.contains("Bonding Mode"))
        // A bonding-looking file whose mode line is gone, even with a bad number further down.
        let headless = Self.slaveEth0.replacingOccurrences(of: "Link Failure Count: 0", with: "Link Failure Count: x")
        #expect(try #require(error(headless)).message.contains("not a bonding file"))
    }

    @Test func nonNumericLinkFailureCountNamesLineAndValue() throws {
        let text = Self.masterAB + Self.slaveEth0.replacingOccurrences(
            of: "Link Failure Count: 0", with: "Link Failure Count: abc")
        let e = try #require(error(text))
        #expect(e.line == 16)
        #expect(e.message.contains("Link Failure Count"))
        #expect(e.message.contains("'abc'"))
        #expect(e.description == "/proc/net/bonding/bond0:16: \(e.message)")
    }

    @Test(
        arguments: [
            ("Speed: 1000 Mbps", "Speed: fast", "Speed"),
            ("MII Status: up\nSpeed", "MII Status: sideways\nSpeed", "MII Status"),
            ("Slave queue ID: 0", "Slave queue ID: zero", "Slave queue ID"),
            ("Slave queue ID: 0", "Aggregator ID: x", "Aggregator ID"),
            ("Slave queue ID: 0", "Actor Churn State: wobbly", "Actor Churn State"),
            ("Slave queue ID: 0", "Partner Churned Count: -1", "Partner Churned Count"),
            ("Slave queue ID: 0", "details actor lacp pdu:\n    port state: 300", "port state"),
            ("Link Failure Count: 0", "Link Failure Count: 99999999999999999999999", "Link Failure Count"),
        ])
    func badSlaveValuesAreErrors(original: String, replacement: String, key: String) throws {
        let text = Self.masterAB + Self.slaveEth0.replacingOccurrences(of: original, with: replacement)
        let e = try #require(error(text))
        #expect(e.line != nil)
        #expect(e.message.contains(key))
    }

    @Test(
        arguments: [
            ("MII Status: up", "MII Status: maybe"),
            ("MII Polling Interval (ms): 100", "MII Polling Interval (ms): 1e3"),
            ("Up Delay (ms): 0", "Up Delay (ms): 0.5"),
            ("Peer Notification Delay (ms): 0", "Peer Notification Delay (ms): soon"),
        ])
    func badMasterValuesAreErrors(original: String, replacement: String) throws {
        let text = Self.masterAB.replacingOccurrences(of: original, with: replacement)
        let e = try #require(error(text))
        let key = String(original.prefix { $0 != ":" })
        #expect(e.message.contains(key))
        let expectedLine = text.split(separator: "\n", omittingEmptySubsequences: false)
            .firstIndex { $0 == Substring(replacement) }.map { $0 + 1 }
        #expect(e.line == expectedLine)
    }

    @Test func badLACPActiveIsAnError() throws {
        let text = "Bonding Mode: IEEE 802.3ad Dynamic link aggregation\nMII Status: up\n\n802.3ad info\nLACP active: perhaps\n"
        let e = try #require(error(text))
        #expect(e.line == 5)
        #expect(e.message.contains("LACP active"))
    }

    @Test func incompleteActiveAggregatorBlockIsAnError() throws {
        let name = "bonding_802.3ad_ubuntu22.04_5.15.0-91-generic_lacp-active_partner.txt"
        let original = try ProcfsParserFixture.text(name)
        let cut = original.replacingOccurrences(of: "\tPartner Key: 9\n\tPartner Mac Address: 8a:a3:b3:dc:c5:fb\n", with: "")
        let e = try #require(error(cut))
        #expect(e.line == 19)  // the block's "Aggregator ID" line
        #expect(e.message.contains("Partner Key"))
        #expect(e.message.contains("Partner Mac Address"))
    }

    @Test func slaveInterfaceWithoutNameFollowedByLinesIsAnError() throws {
        let text = Self.masterAB + "Slave Interface:\nMII Status: up\n"
        let e = try #require(error(text))
        #expect(e.line == 12)
        #expect(e.message.contains("Slave Interface"))
    }
}
