import KVMNetModel
import KVMNetState
import Testing

/// Builders for netlink-like updates: indexes for relations, as the kernel gives them.
enum Make {
    static func slave(_ name: String, index: Int, bond: Int, up: Bool = true, failures: UInt64 = 0) -> LinkUpdate {
        LinkUpdate(link: Link(name: name, index: index, kind: .veth, operState: up ? .up : .down, carrier: up),
                   masterIndex: bond,
                   bondSlave: BondSlave(name: name, miiStatus: up ? .up : .down, linkFailureCount: failures))
    }

    static func bond(_ name: String, index: Int, active: Int?, mode: BondMode = .activeBackup) -> LinkUpdate {
        LinkUpdate(link: Link(name: name, index: index, kind: .bond, operState: .up, carrier: true),
                   bond: Bond(name: name, mode: mode, miiUp: true, miimonMs: 100), bondActiveSlaveIndex: active)
    }

    static func link(_ name: String, index: Int, state: OperState, carrierChanges: UInt64? = nil, master: Int? = nil) -> LinkUpdate {
        LinkUpdate(link: Link(name: name, index: index, kind: .veth, operState: state, carrierChanges: carrierChanges),
                   masterIndex: master)
    }

    static func bridge(_ name: String, index: Int) -> LinkUpdate {
        LinkUpdate(link: Link(name: name, index: index, kind: .bridge, operState: .up),
                   bridge: Bridge(name: name, stpEnabled: false))
    }

    static func fdb(_ mac: UInt64, bridge: Int32, port: Int32, kind: FDBEntryKind = .learned, vlan: UInt16 = 0) -> FDBEntry {
        FDBEntry(mac: mac, vlan: vlan, bridgeIndex: bridge, portIndex: port, kind: kind)
    }
}

@Suite struct HostStateTests {
    func abBond() -> HostState {
        let s = HostState(clock: { 1_700_000_000 })
        s.resync(FullDump(links: [Make.bond("bond0", index: 10, active: 1),
                                  Make.slave("eth0", index: 1, bond: 10), Make.slave("eth1", index: 2, bond: 10)]),
                 reason: .initial)
        return s
    }

    @Test func initialDumpCountsNothingAndResolvesIndexes() {
        let snap = abBond().snapshot()
        let bond = snap.topology.bonds["bond0"]
        #expect(bond?.activeSlave == "eth0")
        #expect(bond?.slaves.map(\.name) == ["eth0", "eth1"])
        #expect(bond?.slaves.map(\.isActive) == [true, false])
        #expect(snap.counters.failovers.isEmpty)
        #expect(snap.counters.slaveTransitions.isEmpty)
    }

    @Test func failoverIsCountedOnceAsItHappens() {
        let s = abBond()
        s.apply([.linkUpdated(Make.slave("eth0", index: 1, bond: 10, up: false, failures: 1)),
                 .linkUpdated(Make.bond("bond0", index: 10, active: 2))])
        var c = s.snapshot().counters
        #expect(c.failovers["bond0"] == 1)
        #expect(c.lastFailover["bond0"] == 1_700_000_000)
        #expect(c.slaveTransitions[.init(bond: "bond0", slave: "eth0", to: "down")] == 1)
        #expect(c.slaveTransitions[.init(bond: "bond0", slave: "eth0", to: "up")] == nil)
        // eth0 comes back; the kernel keeps eth1 active: no second failover.
        s.apply([.linkUpdated(Make.slave("eth0", index: 1, bond: 10, up: true, failures: 1)),
                 .linkUpdated(Make.bond("bond0", index: 10, active: 2))])
        c = s.snapshot().counters
        #expect(c.failovers["bond0"] == 1)
        #expect(c.slaveTransitions[.init(bond: "bond0", slave: "eth0", to: "up")] == 1)
        #expect(c.slaveTransitions[.init(bond: "bond0", slave: "eth0", to: "down")] == 1)
    }

    @Test func failoverAndBackIsTwoFailovers() {
        let s = abBond()
        s.apply([.linkUpdated(Make.bond("bond0", index: 10, active: 2)),
                 .linkUpdated(Make.bond("bond0", index: 10, active: 1))])
        #expect(s.snapshot().counters.failovers["bond0"] == 2)
        #expect(s.snapshot().topology.bonds["bond0"]?.activeSlave == "eth0")
    }

    @Test func losingAndGettingTheOnlyActiveSlaveIsNotAFailover() {
        let s = abBond()
        s.apply([.linkUpdated(Make.bond("bond0", index: 10, active: nil)),
                 .linkUpdated(Make.bond("bond0", index: 10, active: 1))])
        #expect(s.snapshot().counters.failovers["bond0"] == nil)
    }

    @Test func missedFailuresAreReconciledFromTheKernelsCount() {
        let s = abBond()
        // Three failures of eth1 happened while no event reached us; it is up again now.
        s.apply([.linkUpdated(Make.slave("eth1", index: 2, bond: 10, up: true, failures: 3))])
        let c = s.snapshot().counters
        #expect(c.slaveTransitions[.init(bond: "bond0", slave: "eth1", to: "down")] == 3)
        #expect(c.slaveTransitions[.init(bond: "bond0", slave: "eth1", to: "up")] == 3)
        // Down now, and the fall unseen: 2 downs recovered, 1 not.
        s.apply([.linkUpdated(Make.slave("eth0", index: 1, bond: 10, up: false, failures: 2))])
        let c2 = s.snapshot().counters
        #expect(c2.slaveTransitions[.init(bond: "bond0", slave: "eth0", to: "down")] == 2)
        #expect(c2.slaveTransitions[.init(bond: "bond0", slave: "eth0", to: "up")] == 1)
    }

    @Test func overrunResyncCountsTheChangeOnceAndTheResync() {
        let s = abBond()
        s.resync(FullDump(links: [Make.bond("bond0", index: 10, active: 2),
                                  Make.slave("eth0", index: 1, bond: 10, up: false, failures: 1),
                                  Make.slave("eth1", index: 2, bond: 10)]), reason: .overrun)
        let c = s.snapshot().counters
        #expect(c.resyncs == 1)
        #expect(c.failovers["bond0"] == 1)
        #expect(c.slaveTransitions[.init(bond: "bond0", slave: "eth0", to: "down")] == 1)
        // The same dump again changes nothing: counters never double count.
        s.resync(FullDump(links: [Make.bond("bond0", index: 10, active: 2),
                                  Make.slave("eth0", index: 1, bond: 10, up: false, failures: 1),
                                  Make.slave("eth1", index: 2, bond: 10)]), reason: .overrun)
        #expect(s.snapshot().counters.failovers["bond0"] == 1)
        #expect(s.snapshot().counters.resyncs == 2)
    }

    @Test func linkTransitionsAndMissedCarrierFlaps() {
        let s = HostState()
        s.resync(FullDump(links: [Make.link("veth0", index: 5, state: .up, carrierChanges: 2)]), reason: .initial)
        s.apply([.linkUpdated(Make.link("veth0", index: 5, state: .down, carrierChanges: 3))])
        var c = s.snapshot().counters
        #expect(c.linkTransitions[.init(device: "veth0", to: "down")] == 1)
        // Two more flaps (4 carrier changes) seen only as the final state.
        s.apply([.linkUpdated(Make.link("veth0", index: 5, state: .up, carrierChanges: 8))])
        c = s.snapshot().counters
        #expect(c.linkTransitions[.init(device: "veth0", to: "up")] == 3)
        #expect(c.linkTransitions[.init(device: "veth0", to: "down")] == 3)
    }

    @Test func vanishedDeviceLeavesAndRenamedDeviceKeepsItsSeries() {
        let s = HostState()
        s.resync(FullDump(links: [Make.link("veth0", index: 5, state: .up), Make.link("veth1", index: 6, state: .up)]),
                 reason: .initial)
        s.apply([.linkUpdated(Make.link("veth0", index: 5, state: .down))])
        s.apply([.linkUpdated(Make.link("vm-uplink", index: 5, state: .down))])
        s.apply([.linkRemoved(index: 6, name: "veth1")])
        let snap = s.snapshot()
        #expect(snap.topology.links.keys.sorted() == ["vm-uplink"])
        #expect(snap.counters.linkTransitions[.init(device: "vm-uplink", to: "down")] == 1)
        #expect(snap.counters.linkTransitions[.init(device: "veth0", to: "down")] == nil)
    }

    /// A captured tree can repeat an ifindex (node_exporter's bonding fixture gives bond0,
    /// dmz and int ifindex 2): rescans of it keep every device, none is taken for a rename.
    @Test func rescansOfATreeThatRepeatsAnIfindexKeepEveryDevice() {
        let s = HostState()
        let dump = FullDump(links: ["bond0", "dmz", "int"].map {
            LinkUpdate(link: Link(name: $0, index: 2, kind: .bond, operState: .up),
                       bond: Bond(name: $0, mode: .unknown, miiUp: true))
        })
        s.resync(dump, reason: .initial)
        s.resync(dump, reason: .poll)
        s.resync(dump, reason: .poll)
        #expect(s.snapshot().topology.bonds.keys.sorted() == ["bond0", "dmz", "int"])
        #expect(s.snapshot().topology.links.keys.sorted() == ["bond0", "dmz", "int"])
    }

    @Test func fdbCountsAndMoves() {
        let s = HostState()
        s.resync(FullDump(links: [Make.bridge("br0", index: 3), Make.link("vnet0", index: 4, state: .up, master: 3),
                                  Make.link("vnet1", index: 5, state: .up, master: 3)]), reason: .initial)
        s.apply([.fdbAdded(Make.fdb(0xAA, bridge: 3, port: 4)), .fdbAdded(Make.fdb(0xBB, bridge: 3, port: 4)),
                 .fdbAdded(Make.fdb(0xCC, bridge: 3, port: 5, kind: .static)),
                 .fdbAdded(Make.fdb(0xDD, bridge: 3, port: 3, kind: .local))])
        var fdb = s.snapshot().topology.bridges["br0"]?.fdb?.counts ?? [:]
        #expect(fdb[.init(port: "vnet0", kind: .learned)] == 2)
        #expect(fdb[.init(port: "vnet1", kind: .static)] == 1)
        #expect(fdb[.init(port: "br0", kind: .local)] == 1)
        // The same MAC on the other port (a cloned VM): one move; the same MAC in another VLAN is another entry.
        s.apply([.fdbAdded(Make.fdb(0xAA, bridge: 3, port: 5)), .fdbAdded(Make.fdb(0xAA, bridge: 3, port: 4, vlan: 7))])
        fdb = s.snapshot().topology.bridges["br0"]?.fdb?.counts ?? [:]
        #expect(s.snapshot().counters.fdbMoves["br0"] == 1)
        #expect(fdb[.init(port: "vnet1", kind: .learned)] == 1)
        #expect(fdb[.init(port: "vnet0", kind: .learned)] == 2)
        // A port that leaves takes its entries with it.
        s.apply([.fdbRemoved(Make.fdb(0xBB, bridge: 3, port: 4)), .linkRemoved(index: 5, name: "vnet1")])
        let snap = s.snapshot()
        #expect(snap.fdbEntries == 2)
        #expect(snap.topology.bridges["br0"]?.fdb?.total == 2)
    }

    @Test func procfsSupplementsFillWhatNetlinkLacks() {
        let s = abBond()
        var procfs = Bond(name: "bond0", mode: .activeBackup, miiUp: true)
        procfs.slaves = [BondSlave(name: "eth0", miiStatus: .up, speedMbps: 10000, duplex: "full")]
        s.setBondSupplements(["bond0": procfs])
        let eth0 = s.snapshot().topology.bonds["bond0"]?.slave(named: "eth0")
        #expect(eth0?.speedMbps == 10000)
        #expect(eth0?.duplex == "full")
        #expect(s.takeChangedBonds() == ["bond0"])
        #expect(s.takeChangedBonds().isEmpty)
    }
}

@Suite struct HostStateRefreshTests {
    @Test func refreshedLinksKeepTheirAddressesAndCountTransitions() {
        let s = HostState()
        var eth0 = Make.slave("eth0", index: 1, bond: 10)
        eth0.link.addresses = ["192.0.2.1/24"]
        s.resync(FullDump(links: [Make.bond("bond0", index: 10, active: 1), eth0,
                                  Make.slave("eth1", index: 2, bond: 10)]), reason: .initial)
        #expect(s.bondLinkIndexes == [1, 2, 10])
        // A re-read by ifindex: no addresses in it, a port state that changed without an event.
        var reread = Make.slave("eth0", index: 1, bond: 10)
        reread.bondSlave?.actorPortState = 63
        s.refresh([reread, Make.bond("bond0", index: 10, active: 2)], readAfter: s.version)
        let snap = s.snapshot()
        #expect(snap.topology.links["eth0"]?.addresses == ["192.0.2.1/24"])
        #expect(snap.topology.bonds["bond0"]?.slave(named: "eth0")?.actorPortState == 63)
        #expect(snap.counters.failovers["bond0"] == 1)
    }

    /// The bond poll reads a bond while it is deleted: the RTM_DELLINK is applied before
    /// the read's answer is. The bond must stay removed (seen in the kernel lab: a stale
    /// `bond="bond1"` series long after the bond was deleted).
    @Test func aLinkRemovedDuringTheReadStaysRemoved() {
        let s = HostState()
        s.resync(FullDump(links: [Make.bond("bond1", index: 11, active: 3), Make.slave("eth3", index: 3, bond: 11)]),
                 reason: .initial)
        let mark = s.version
        s.apply([.linkRemoved(index: 3, name: "eth3"), .linkRemoved(index: 11, name: "bond1")])
        s.refresh([Make.bond("bond1", index: 11, active: 3), Make.slave("eth3", index: 3, bond: 11)], readAfter: mark)
        let snap = s.snapshot()
        #expect(snap.topology.links["bond1"] == nil && snap.topology.links["eth3"] == nil)
        #expect(snap.topology.bonds.isEmpty)
        #expect(s.bondLinkIndexes.isEmpty)
    }

    /// An event about a link after the mark has newer data than the read: it wins; a link
    /// without an event since is refreshed; a same-named link with another ifindex (deleted
    /// and made again) is not the one that was read.
    @Test func anEventSinceTheMarkWinsOverTheRead() {
        let s = HostState()
        s.resync(FullDump(links: [Make.bond("bond0", index: 10, active: 1), Make.slave("eth0", index: 1, bond: 10),
                                  Make.slave("eth1", index: 2, bond: 10), Make.bond("bond2", index: 12, active: 0)]),
                 reason: .initial)
        let mark = s.version
        s.apply([.linkUpdated(Make.bond("bond0", index: 10, active: 2))])
        s.apply([.linkRemoved(index: 12, name: "bond2"), .linkUpdated(Make.bond("bond2", index: 13, active: 0))])
        var reread = Make.slave("eth1", index: 2, bond: 10)
        reread.bondSlave?.actorPortState = 61
        s.refresh([Make.bond("bond0", index: 10, active: 1), reread, Make.bond("bond2", index: 12, active: 0)], readAfter: mark)
        let snap = s.snapshot()
        #expect(snap.topology.bonds["bond0"]?.activeSlave == "eth1")
        #expect(snap.topology.bonds["bond0"]?.slave(named: "eth1")?.actorPortState == 61)
        #expect(snap.topology.links["bond2"]?.index == 13)
    }

    /// A full re-read after the mark replaces everything: the older read is dropped whole.
    @Test func aResyncSinceTheMarkDropsTheRead() {
        let s = HostState()
        let dump = FullDump(links: [Make.bond("bond0", index: 10, active: 1), Make.slave("eth0", index: 1, bond: 10)])
        s.resync(dump, reason: .initial)
        let mark = s.version
        s.resync(FullDump(links: [Make.bond("bond0", index: 10, active: 0)]), reason: .overrun)
        s.refresh([Make.slave("eth0", index: 1, bond: 10)], readAfter: mark)
        #expect(s.snapshot().topology.links["eth0"] == nil)
    }

    @Test func procfsPortStatesWinOverStaleNetlinkOnes() {
        let s = HostState()
        var slave = Make.slave("eth0", index: 1, bond: 10)
        slave.bondSlave?.actorPortState = 69
        slave.bondSlave?.aggregatorID = 2
        s.resync(FullDump(links: [Make.bond("bond0", index: 10, active: nil, mode: .ieee8023ad), slave]), reason: .initial)
        var procfs = Bond(name: "bond0", mode: .ieee8023ad, miiUp: true)
        procfs.slaves = [BondSlave(name: "eth0", miiStatus: .up, aggregatorID: 1, actorPortState: 77)]
        s.setBondSupplements(["bond0": procfs])
        let eth0 = s.snapshot().topology.bonds["bond0"]?.slave(named: "eth0")
        #expect(eth0?.actorPortState == 77)
        #expect(eth0?.aggregatorID == 1)
    }
}
