import KVMNetModel
import KVMNetState
import Testing

/// Bond slaves that only the bond's own sysfs directory shows (its `bonding/slaves` and
/// `lower_<dev>`/`slave_<dev>` links, in a tree without the slave's own directory):
/// the topology counts them, and polls count their transitions, once.
@Suite struct ListedSlaveTests {
    /// A bond as the sysfs reader gives it: relations by name, slaves in `bond.slaves`.
    static func bond(active: String, slaves: [BondSlave]) -> LinkUpdate {
        LinkUpdate(link: Link(name: "bond0", index: 10, kind: .bond, operState: .up, carrier: true),
                   bond: Bond(name: "bond0", mode: .activeBackup, miiUp: true, miimonMs: 100,
                              activeSlave: active, slaves: slaves))
    }

    static func listed(_ name: String, up: Bool, failures: UInt64 = 0) -> BondSlave {
        BondSlave(name: name, miiStatus: up ? .up : .down, linkFailureCount: failures)
    }

    /// eth1's own directory, with its `master` link.
    static func own(_ name: String, index: Int, up: Bool, failures: UInt64 = 0) -> LinkUpdate {
        var link = Link(name: name, index: index, kind: .physical, operState: up ? .up : .down, carrier: up)
        link.master = "bond0"
        return LinkUpdate(link: link, bondSlave: BondSlave(name: name, miiStatus: up ? .up : .down,
                                                           linkFailureCount: failures))
    }

    @Test func listedOnlySlavesAreCountedAndMergedInNameOrder() {
        let topo = TopologyBuilder.build(links: [
            Self.bond(active: "eth2", slaves: [Self.listed("eth2", up: true), Self.listed("eth0", up: false)]),
            Self.own("eth1", index: 2, up: true),
        ])
        let bond = topo.bonds["bond0"]
        #expect(bond?.slaves.map(\.name) == ["eth0", "eth1", "eth2"])
        #expect(bond?.slavesUp == 2)
        #expect(bond?.slaves.map(\.isActive) == [false, false, true])
    }

    @Test func aSlaveWithItsOwnUpdateIsTakenFromIt() {
        // The bond's copy was read a moment earlier and says down; the slave's own says up.
        let topo = TopologyBuilder.build(links: [
            Self.bond(active: "eth1", slaves: [Self.listed("eth1", up: false, failures: 9)]),
            Self.own("eth1", index: 2, up: true, failures: 1),
        ])
        #expect(topo.bonds["bond0"]?.slaves.count == 1)
        #expect(topo.bonds["bond0"]?.slaves.first?.miiStatus == .up)
        #expect(topo.bonds["bond0"]?.slaves.first?.linkFailureCount == 1)
    }

    @Test func pollsCountTransitionsOfListedOnlySlaves() {
        let s = HostState(clock: { 1_700_000_000 })
        s.resync(FullDump(links: [Self.bond(active: "eth0", slaves: [Self.listed("eth0", up: true),
                                                                     Self.listed("eth1", up: true)])]),
                 reason: .initial)
        // eth0 fails (seen), eth1 failed and came back between two polls (not seen).
        s.resync(FullDump(links: [Self.bond(active: "eth1", slaves: [Self.listed("eth0", up: false, failures: 1),
                                                                     Self.listed("eth1", up: true, failures: 1)])]),
                 reason: .poll)
        let c = s.snapshot().counters
        #expect(c.failovers["bond0"] == 1)
        #expect(c.slaveTransitions[.init(bond: "bond0", slave: "eth0", to: "down")] == 1)
        #expect(c.slaveTransitions[.init(bond: "bond0", slave: "eth0", to: "up")] == nil)
        #expect(c.slaveTransitions[.init(bond: "bond0", slave: "eth1", to: "down")] == 1)
        #expect(c.slaveTransitions[.init(bond: "bond0", slave: "eth1", to: "up")] == 1)
    }

    @Test func aSlaveInBothIsCountedOnceFromItsOwnUpdate() {
        // A real kernel's tree: the bond links the slave (lower_eth1) and the slave has its
        // own directory; both show the same failure.
        let s = HostState(clock: { 1_700_000_000 })
        s.resync(FullDump(links: [Self.bond(active: "eth1", slaves: [Self.listed("eth1", up: true)]),
                                  Self.own("eth1", index: 2, up: true)]),
                 reason: .initial)
        s.resync(FullDump(links: [Self.bond(active: "eth1", slaves: [Self.listed("eth1", up: false, failures: 1)]),
                                  Self.own("eth1", index: 2, up: false, failures: 1)]),
                 reason: .poll)
        let c = s.snapshot().counters
        #expect(c.slaveTransitions[.init(bond: "bond0", slave: "eth1", to: "down")] == 1)
        #expect(c.slaveTransitions[.init(bond: "bond0", slave: "eth1", to: "up")] == nil)
    }
}
