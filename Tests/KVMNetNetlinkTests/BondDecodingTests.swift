import KVMNetModel
import KVMNetNetlink
import Testing

/// Bond masters and slaves from hand-assembled messages (this machine has no bonding).
/// Kernel captures from the qemu lab go to `Fixtures/` and are checked by
/// ``FixtureCorpusTests``.
@Suite struct BondDecodingTests {
    typealias U = UAPI
    typealias M = SyntheticMessages

    func update(_ bytes: [UInt8]) throws -> LinkUpdate {
        try #require(try NetlinkMessageDecoder.linkUpdate(in: bytes))
    }

    static let activeBackup = M.bondMaster(name: "bond0", index: 10, mac: "52:54:00:00:00:01", data: M.bondData([
        .u8(U.IFLA_BOND_MODE, 1),
        .u32(U.IFLA_BOND_ACTIVE_SLAVE, 11),
        .u32(U.IFLA_BOND_MIIMON, 100),
        .u32(U.IFLA_BOND_UPDELAY, 200),
        .u32(U.IFLA_BOND_DOWNDELAY, 400),
        .u32(U.IFLA_BOND_PRIMARY, 11),
        .u8(U.IFLA_BOND_FAIL_OVER_MAC, 1),
    ]))

    @Test func activeBackupMaster() throws {
        let u = try update(Self.activeBackup)
        #expect(u.link.kind == .bond)
        #expect(u.link.name == "bond0")
        #expect(u.link.index == 10)
        #expect(u.bondActiveSlaveIndex == 11)
        #expect(u.bondPrimaryIndex == 11)
        #expect(u.bond == Bond(name: "bond0", mode: .activeBackup, xmitHashPolicy: nil, miiUp: true, miimonMs: 100,
                               updelayMs: 200, downdelayMs: 400, arpIntervalMs: 0, arpTargets: [],
                               failOverMAC: "active", minLinks: 0, lacp: nil))
    }

    @Test func masterWithoutCarrierIsMIIDown() throws {
        let u = try update(M.bondMaster(name: "bond1", index: 20, mac: "52:54:00:00:00:20", carrier: 0,
                                        data: M.bondData([])))
        #expect(u.bond?.miiUp == false)
        #expect(u.link.operState == .down)
        #expect(u.bondActiveSlaveIndex == nil)
    }

    @Test func activeBackupSlaves() throws {
        let active = try update(M.bondSlave(name: "eth0", index: 11, master: 10, mac: "52:54:00:00:00:01",
                                            state: 0, mii: 0, failures: 0))
        #expect(active.masterIndex == 10)
        #expect(active.bondSlave == BondSlave(name: "eth0", miiStatus: .up, isActive: true, linkFailureCount: 0,
                                              permanentAddress: "52:54:00:00:00:01", queueID: 0))
        let backup = try update(M.bondSlave(name: "eth1", index: 12, master: 10, mac: "52:54:00:00:00:02",
                                            state: 1, mii: 2, failures: 3))
        #expect(backup.bondSlave?.isActive == false)
        #expect(backup.bondSlave?.miiStatus == .down)
        #expect(backup.bondSlave?.linkFailureCount == 3)
        #expect(backup.link.operState == .down)
    }

    @Test func builderNamesActiveSlaveAndPrimary() throws {
        let topo = TopologyBuilder.build(links: [
            try update(Self.activeBackup),
            try update(M.bondSlave(name: "eth0", index: 11, master: 10, mac: "52:54:00:00:00:01", state: 0, mii: 0, failures: 1)),
            try update(M.bondSlave(name: "eth1", index: 12, master: 10, mac: "52:54:00:00:00:02", state: 1, mii: 0, failures: 0)),
        ])
        let bond = try #require(topo.bonds["bond0"])
        #expect(bond.activeSlave == "eth0")
        #expect(bond.primary == "eth0")
        #expect(bond.slaves.map(\.name).sorted() == ["eth0", "eth1"])
        #expect(bond.slave(named: "eth0")?.linkFailureCount == 1)
        #expect(bond.slavesUp == 2)
    }

    @Test func lacpMasterAndSlave() throws {
        let master = try update(M.bondMaster(name: "bond0", index: 10, mac: "02:11:22:33:44:55", data: M.bondData([
            .u8(U.IFLA_BOND_MODE, 4),
            .u8(U.IFLA_BOND_XMIT_HASH_POLICY, 1),
            .u32(U.IFLA_BOND_MIN_LINKS, 1),
            .u8(U.IFLA_BOND_AD_LACP_RATE, 1),
            .u8(U.IFLA_BOND_AD_SELECT, 2),
            .u8(U.IFLA_BOND_AD_LACP_ACTIVE, 1),
            .u16(U.IFLA_BOND_AD_ACTOR_SYS_PRIO, 100),
            .mac(U.IFLA_BOND_AD_ACTOR_SYSTEM, "02:11:22:33:44:55"),
        ], extra: [
            .nested(U.IFLA_BOND_AD_INFO, [
                .u16(U.IFLA_BOND_AD_INFO_AGGREGATOR, 1),
                .u16(U.IFLA_BOND_AD_INFO_NUM_PORTS, 2),
                .u16(U.IFLA_BOND_AD_INFO_ACTOR_KEY, 15),
                .u16(U.IFLA_BOND_AD_INFO_PARTNER_KEY, 17),
                .mac(U.IFLA_BOND_AD_INFO_PARTNER_MAC, "52:54:00:aa:bb:cc"),
            ]),
        ])))
        let bond = try #require(master.bond)
        #expect(bond.mode == .ieee8023ad)
        #expect(bond.xmitHashPolicy == "layer3+4")
        #expect(bond.minLinks == 1)
        #expect(bond.failOverMAC == nil)
        #expect(bond.lacp == LACPInfo(rate: "fast", adSelect: "count", active: true, systemPriority: 100,
                                      systemMAC: "02:11:22:33:44:55",
                                      activeAggregator: LACPAggregator(id: 1, ports: 2, actorKey: 15, partnerKey: 17,
                                                                       partnerMAC: "52:54:00:aa:bb:cc")))
        #expect(bond.lacp?.activeAggregator?.partnerPresent == true)

        let slave = try update(M.bondSlave(name: "eth0", index: 11, master: 10, mac: "52:54:00:00:00:01", state: 0,
                                           mii: 0, failures: 0, aggregator: 1, actorState: 61, partnerState: 63))
        #expect(slave.bondSlave?.aggregatorID == 1)
        #expect(slave.bondSlave?.actorPortState == 61)
        #expect(slave.bondSlave?.partnerPortState == 63)
    }

    @Test func lacpWithoutActiveAggregator() throws {
        let u = try update(M.bondMaster(name: "bond0", index: 10, mac: "02:11:22:33:44:55",
                                        data: M.bondData([.u8(U.IFLA_BOND_MODE, 4)])))
        #expect(u.bond?.lacp?.activeAggregator == nil)
        #expect(u.bond?.lacp?.rate == "slow")
        #expect(u.bond?.lacp?.adSelect == "stable")
        #expect(u.bond?.xmitHashPolicy == "layer2")
    }

    @Test func arpMonitoredXORBond() throws {
        let u = try update(M.bondMaster(name: "bond2", index: 30, mac: "02:00:00:00:00:30", data: M.bondData([
            .u8(U.IFLA_BOND_MODE, 2),
            .u32(U.IFLA_BOND_MIIMON, 0),
            .u32(U.IFLA_BOND_ARP_INTERVAL, 1000),
            .u8(U.IFLA_BOND_XMIT_HASH_POLICY, 2),
        ], extra: [
            // Entries typed by position, starting at 0.
            .nested(U.IFLA_BOND_ARP_IP_TARGET, [.bytes(0, [10, 0, 0, 1]), .bytes(1, [10, 0, 0, 2])]),
        ])))
        #expect(u.bond?.mode == .balanceXOR)
        #expect(u.bond?.arpIntervalMs == 1000)
        #expect(u.bond?.arpTargets == ["10.0.0.1", "10.0.0.2"])
        #expect(u.bond?.xmitHashPolicy == "layer2+3")
        #expect(u.bond?.lacp == nil)
    }

    @Test("transmit hash policy names", arguments: [
        (UInt8(0), "layer2"), (1, "layer3+4"), (2, "layer2+3"), (3, "encap2+3"), (4, "encap3+4"), (5, "vlan+srcmac"),
    ])
    func xmitHashPolicy(_ value: UInt8, _ name: String) throws {
        let u = try update(M.bondMaster(name: "bond0", index: 10, mac: "02:00:00:00:00:10", data: M.bondData([
            .u8(U.IFLA_BOND_MODE, 2), .u8(U.IFLA_BOND_XMIT_HASH_POLICY, value),
        ])))
        #expect(u.bond?.xmitHashPolicy == name)
    }

    @Test func hashPolicyOnlyWhereTheModeHashes() throws {
        let rr = try update(M.bondMaster(name: "bond0", index: 10, mac: "02:00:00:00:00:10", data: M.bondData([
            .u8(U.IFLA_BOND_MODE, 0), .u8(U.IFLA_BOND_XMIT_HASH_POLICY, 1),
        ])))
        #expect(rr.bond?.xmitHashPolicy == nil)
        let tlbStatic = try update(M.bondMaster(name: "bond0", index: 10, mac: "02:00:00:00:00:10", data: M.bondData([
            .u8(U.IFLA_BOND_MODE, 5), .u8(U.IFLA_BOND_XMIT_HASH_POLICY, 1), .u8(U.IFLA_BOND_TLB_DYNAMIC_LB, 0),
        ])))
        #expect(tlbStatic.bond?.xmitHashPolicy == "layer3+4")
    }

    @Test func unknownBondAttributesAreIgnored() throws {
        let u = try update(M.bondMaster(name: "bond0", index: 10, mac: "02:00:00:00:00:10", data: M.bondData([], extra: [
            .u8(32, 1),                       // IFLA_BOND_COUPLED_CONTROL (6.12+)
            .u8(33, 1),                       // IFLA_BOND_BROADCAST_NEIGH (6.19)
            .bytes(200, Array(repeating: 7, count: 40)),
        ])))
        #expect(u.bond?.mode == .activeBackup)
    }
}
