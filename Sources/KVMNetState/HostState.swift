import KVMNetModel
import KVMNetLock

/// Why the whole state is being replaced.
public enum ResyncReason: String, Sendable {
    /// First read after start: nothing to compare with, nothing is counted.
    case initial
    /// Events were lost (netlink socket overrun): differences are counted once, and the
    /// kernel's own counters (link failure count, carrier changes) fill in what was missed.
    case overrun
    /// A periodic re-read (the no-netlink mode): differences are counted as events.
    case poll
}

/// The agent's in-memory model of the host, updated by kernel events and full re-reads.
///
/// All methods are thread-safe. A scrape calls ``snapshot()``, which only reads memory:
/// no netlink dump and no sysfs walk happen on the scrape path.
public final class HostState: Sendable {
    private let storage: Locked<Storage>
    private let clock: @Sendable () -> Double

    /// - Parameter clock: Unix time source, injectable for tests.
    public init(clock: @escaping @Sendable () -> Double = unixTimeNow) {
        self.clock = clock
        self.storage = Locked(Storage())
    }

    /// Applies events in order, counting transitions as they happen.
    public func apply(_ changes: [TopologyChange]) {
        let now = clock()
        storage.withLock { s in
            s.version &+= 1
            for c in changes {
                s.apply(c, now: now)
                if let index = c.linkIndex { s.lastEventOfLink[index] = s.version }
            }
        }
    }

    /// Applies links re-read one by one (`RTM_GETLINK`), which carry no addresses: each
    /// keeps the addresses it has. Transitions are counted as for events.
    ///
    /// The read runs beside the event thread, so its answers can be older than what events
    /// said since `mark` (``version``, taken before the read): a link removed since stays
    /// removed (its `RTM_DELLINK` may have been applied while the answer was on its way: a
    /// re-added link would have no event left to remove it), a link with an event since
    /// keeps the event's data, and nothing is taken after a full re-read since.
    public func refresh(_ updates: [LinkUpdate], readAfter mark: UInt64) {
        let now = clock()
        storage.withLock { s in
            guard s.lastResync <= mark else { return }
            s.version &+= 1
            for var u in updates {
                guard let old = s.links[u.link.name], old.link.index == u.link.index,
                      (s.lastEventOfLink[u.link.index] ?? 0) <= mark else { continue }
                if u.link.addresses.isEmpty { u.link.addresses = old.link.addresses }
                s.apply(.linkUpdated(u), now: now)
            }
        }
    }

    /// ifindexes of every bond and bond slave.
    public var bondLinkIndexes: [Int] {
        storage.withLock { s in
            s.links.values.filter { $0.bond != nil || $0.bondSlave != nil }.map(\.link.index).filter { $0 > 0 }.sorted()
        }
    }

    /// Replaces everything with a complete read of the host.
    public func resync(_ dump: FullDump, fdbKnown: Bool = true, reason: ResyncReason) {
        let now = clock()
        storage.withLock { s in
            s.version &+= 1
            s.lastResync = s.version
            s.lastEventOfLink.removeAll()
            if reason == .overrun { s.counters.resyncs += 1 }
            s.replace(with: dump, fdbKnown: fdbKnown, reason: reason, now: now)
        }
    }

    /// Sets what procfs says about bonds (by bond name); fills what netlink lacks.
    public func setBondSupplements(_ bonds: [String: Bond]) {
        storage.withLock { s in
            if s.bondSupplements != bonds {
                s.bondSupplements = bonds
                s.version &+= 1
                s.cached = nil
            }
        }
    }

    /// Replaces the procfs supplements of some bonds, keeping the others.
    public func mergeBondSupplements(_ bonds: [String: Bond]) {
        storage.withLock { s in
            for (k, v) in bonds where s.bondSupplements[k] != v {
                s.bondSupplements[k] = v
                s.version &+= 1
                s.cached = nil
            }
        }
    }

    /// Sets VLAN devices from `/proc/net/vlan/config` (used where no other source gives the id).
    public func setVLANSupplements(_ vlans: [String: VLANDevice]) {
        storage.withLock { s in
            if s.vlanSupplements != vlans {
                s.vlanSupplements = vlans
                s.version &+= 1
                s.cached = nil
            }
        }
    }

    /// Counts one read or parse error of `source`.
    public func recordSourceError(_ source: Source) {
        storage.withLock { s in
            s.version &+= 1
            s.counters.sourceErrors[source.rawValue, default: 0] += 1
        }
    }

    /// Makes a source's error series exist at 0 so that alerts on `increase()` work from the start.
    public func registerSources(_ sources: [Source]) {
        storage.withLock { s in
            s.version &+= 1
            for src in sources.map(\.rawValue) where s.counters.sourceErrors[src] == nil { s.counters.sourceErrors[src] = 0 }
        }
    }

    /// Counts netlink messages received for a multicast group.
    public func recordNetlinkEvents(group: String, count: UInt64 = 1) {
        storage.withLock { s in
            s.version &+= 1
            s.counters.netlinkEvents[group, default: 0] += count
        }
    }

    /// Changes with every update that can change what a scrape shows: a scrape of an
    /// unchanged state can reuse the last rendering.
    public var version: UInt64 { storage.withLock { $0.version } }

    /// The current topology and counters; builds the topology only after a change.
    public func snapshot() -> StateSnapshot {
        storage.withLock { s in
            let topo = s.topology()
            return StateSnapshot(topology: topo, counters: s.counters.pruned(to: topo),
                                 fdbEntries: s.fdb.count, fdbKnown: s.fdbKnown)
        }
    }

    /// Where the bridges hold the MACs in `macs` (48-bit words): every FDB entry of each,
    /// at most `limit` (sorted by MAC, bridge, VLAN, port); `truncated` when more exist.
    /// `known` is false while the FDB has not been read (the answer is then empty, not
    /// "nowhere"). One pass over the table: about 10 ms per million entries.
    public func fdbLocations(of macs: Set<UInt64>, limit: Int) -> (entries: [FDBLocation], truncated: Bool, known: Bool) {
        let r = keyedFDBLocations(of: macs, limit: limit)
        return (r.entries.map(\.location), r.truncated, r.known)
    }

    /// ``fdbLocations(of:limit:)`` with each entry's kernel key (MAC, VLAN, bridge
    /// ifindex), to ask the kernel about the entry (its age) by.
    public func keyedFDBLocations(of macs: Set<UInt64>, limit: Int)
        -> (entries: [(key: FDBEntry.Key, location: FDBLocation)], truncated: Bool, known: Bool) {
        storage.withLock { s in
            var found: [FDBEntry] = []
            s.fdb.forEach { if macs.contains($0.mac) { found.append($0) } }
            func name(_ index: Int32) -> String { s.nameByIndex[Int(index)] ?? "ifindex \(index)" }
            var entries = found.map {
                (key: $0.key, location: FDBLocation(mac: MACAddress.format($0.mac), bridge: name($0.bridgeIndex), port: name($0.portIndex),
                                                    vlan: Int($0.vlan), kind: $0.kind))
            }
            entries.sort { ($0.location.mac, $0.location.bridge, $0.location.vlan, $0.location.port)
                < ($1.location.mac, $1.location.bridge, $1.location.vlan, $1.location.port) }
            let truncated = entries.count > limit
            return (Array(entries.prefix(limit)), truncated, s.fdbKnown)
        }
    }

    /// Whether any bond exists (cheap: no topology is built).
    public var hasBonds: Bool {
        storage.withLock { s in s.links.values.contains { $0.bond != nil } }
    }

    /// Names of bonds whose state changed since the last call (for re-reading their procfs file).
    public func takeChangedBonds() -> Set<String> {
        storage.withLock { s in
            defer { s.changedBonds.removeAll() }
            return s.changedBonds
        }
    }
}

extension EventCounters {
    /// Only series of devices that exist (a vanished device vanishes from the output).
    func pruned(to topo: Topology) -> EventCounters {
        var c = self
        c.failovers = failovers.filter { topo.bonds[$0.key] != nil }
        c.lastFailover = lastFailover.filter { topo.bonds[$0.key] != nil }
        c.fdbMoves = fdbMoves.filter { topo.bridges[$0.key] != nil }
        c.linkTransitions = linkTransitions.filter { topo.links[$0.key.device] != nil }
        c.slaveTransitions = slaveTransitions.filter {
            topo.bonds[$0.key.bond]?.slave(named: $0.key.slave) != nil
        }
        return c
    }
}

/// The mutable state behind the lock.
struct Storage {
    /// Bumped by every change that can change a scrape's output.
    var version: UInt64 = 0
    /// The `version` of the last event about each ifindex, and of the last full re-read
    /// (``HostState/refresh(_:readAfter:)`` compares them with the version a read began at).
    var lastEventOfLink: [Int: UInt64] = [:]
    var lastResync: UInt64 = 0
    var links: [String: LinkUpdate] = [:]
    var nameByIndex: [Int: String] = [:]
    var fdb = FDBTable()
    var fdbCounts = FDBCounts()
    var fdbKnown = false
    var bondSupplements: [String: Bond] = [:]
    var vlanSupplements: [String: VLANDevice] = [:]
    var counters = EventCounters()
    var cached: Topology?
    var changedBonds: Set<String> = []

    mutating func topology() -> Topology {
        if let t = cached { return t }
        let t = TopologyBuilder.build(
            links: Array(links.values), fdb: fdbKnown ? fdbCounts : nil,
            bondSupplements: bondSupplements, vlanSupplements: vlanSupplements)
        cached = t
        return t
    }

    mutating func apply(_ change: TopologyChange, now: Double) {
        cached = nil
        switch change {
        case .linkUpdated(let u):
            update(u, reconcile: true, now: now)
        case .linkRemoved(let index, let name):
            let resolved = index > 0 ? (nameByIndex[index] ?? name) : name
            remove(name: resolved, index: index)
        case .fdbAdded(let e):
            fdbKnown = true
            addFDB(e)
        case .fdbRemoved(let e):
            if let old = fdb.remove(e.key) { fdbCounts.remove(old) }
        case let .bridgeVLANsUpdated(index, name, vlans):
            let resolved = index > 0 ? (nameByIndex[index] ?? name) : name
            guard var u = links[resolved] else { return }
            // No VLAN entry in the message: a port (or bridge) of a VLAN-filtering bridge
            // then has none; elsewhere (no filtering, or a kernel without it) unknown.
            u.bridgeVLANs = vlans ?? (filtersByVLAN(u) ? BridgeVLANSet() : nil)
            links[resolved] = u
        }
    }

    mutating func replace(with dump: FullDump, fdbKnown known: Bool, reason: ResyncReason, now: Double) {
        cached = nil
        let newNames = Set(dump.links.map(\.link.name))
        for name in links.keys where !newNames.contains(name) {
            remove(name: name, index: links[name]?.link.index ?? 0)
        }
        for u in dump.links {
            if reason == .initial {
                store(u)
            } else {
                // A dump's VLANs replace what events said, `nil` included. Not a rename
                // when the ifindex's other name is in this read too: the names it lacks are
                // gone already (with their indexes), so only a tree that repeats an ifindex
                // gets here (node_exporter's bonding fixture gives its three bonds ifindex
                // 2), and each of its devices stays.
                update(u, reconcile: true, now: now, keepingBridgeVLANs: false, detectRename: false)
            }
        }
        if reason != .initial {
            for e in dump.fdb {
                if let old = fdb[e.key], old.portIndex != e.portIndex { countMove(bridgeIndex: e.bridgeIndex) }
            }
        }
        fdb = FDBTable()    // the old table is freed before the new one is built
        fdb = FDBTable(dump.fdb)
        fdbCounts = fdb.counts
        fdbKnown = known
        if reason == .initial { changedBonds.formUnion(links.values.compactMap { $0.bond != nil ? $0.link.name : nil }) }
    }

    // MARK: links

    mutating func store(_ u: LinkUpdate) {
        links[u.link.name] = u
        if u.link.index > 0 { nameByIndex[u.link.index] = u.link.name }
    }

    /// - Parameters:
    ///   - keepingBridgeVLANs: an update without VLANs (an ordinary `RTM_NEWLINK` carries
    ///     none) keeps the link's last set while it stays on the same bridge.
    ///   - detectRename: a known ifindex under a new name is a rename (not in a full read).
    mutating func update(_ u: LinkUpdate, reconcile: Bool, now: Double, keepingBridgeVLANs: Bool = true,
                         detectRename: Bool = true) {
        var u = u
        let name = u.link.name
        // The same device as last seen, under its old name if it was renamed.
        var previous = links[name]
        // Rename: same ifindex, new name. Keep the device's series under the new name.
        if detectRename, u.link.index > 0, let oldName = nameByIndex[u.link.index], oldName != name {
            previous = links[oldName]
            links[oldName] = nil
            counters.rename(oldName, to: name)
        }
        if keepingBridgeVLANs, u.bridgeVLANs == nil, let p = previous { u.bridgeVLANs = keptBridgeVLANs(old: p, new: u) }
        let old = links[name]
        store(u)
        guard let old else { return }

        countLinkTransition(old: old, new: u)
        if u.bond != nil || old.bond != nil { changedBonds.insert(name) }
        if let newSlave = u.bondSlave, let bond = masterName(u) {
            changedBonds.insert(bond)
            countSlaveTransition(bond: bond, slave: name, old: old.bondSlave, new: newSlave)
        }
        if let newBond = u.bond, let oldBond = old.bond {
            countFailover(bond: name, old: (oldBond, old), new: (newBond, u), now: now)
            // Slaves only the bond's own update lists (a sysfs tree without the slave's
            // directory): the bond's update is the one that shows their transitions.
            for s in newBond.slaves where !hasOwnSlaveState(s.name, bond: name) {
                countSlaveTransition(bond: name, slave: s.name, old: oldBond.slave(named: s.name), new: s)
            }
        }
    }

    /// Whether the slave's own update describes it as a slave of `bond` (then that update,
    /// not the bond's list, is the one the topology shows and the one counted).
    func hasOwnSlaveState(_ slave: String, bond: String) -> Bool {
        guard let u = links[slave], u.bondSlave != nil else { return false }
        return masterName(u) == bond
    }

    mutating func remove(name: String, index: Int) {
        guard links.removeValue(forKey: name) != nil || index > 0 else { return }
        if index > 0 { nameByIndex[index] = nil }
        for (i, n) in nameByIndex where n == name { nameByIndex[i] = nil }
        counters.forget(name)
        if index > 0 {
            let idx = Int32(index)
            for e in fdb.removeAll(touching: idx) { fdbCounts.remove(e) }
        }
    }

    /// The VLANs `old` had, if `new` is still where they apply: the same bridge device
    /// (its "self" VLANs), or a port of the same bridge. A port whose VLANs came before
    /// the update that makes it a port (the kernel's `AF_BRIDGE` message may precede the
    /// device's own on joining) keeps them too; a port that left, or moved, loses them.
    func keptBridgeVLANs(old: LinkUpdate, new: LinkUpdate) -> BridgeVLANSet? {
        guard let vlans = old.bridgeVLANs else { return nil }
        if new.bridge != nil { return old.bridge != nil ? vlans : nil }
        guard let master = masterName(new) else { return nil }
        let before = masterName(old)
        return before == master || (before == nil && old.bridge == nil) ? vlans : nil
    }

    /// Whether `u` is a VLAN-filtering bridge or a port of one.
    func filtersByVLAN(_ u: LinkUpdate) -> Bool {
        if let br = u.bridge { return br.vlanFiltering == true }
        guard let master = masterName(u) else { return false }
        return links[master]?.bridge?.vlanFiltering == true
    }

    func masterName(_ u: LinkUpdate) -> String? {
        u.link.master ?? u.masterIndex.flatMap { nameByIndex[$0] }
    }

    func activeSlaveName(_ bond: Bond, _ u: LinkUpdate) -> String? {
        bond.activeSlave ?? u.bondActiveSlaveIndex.flatMap { nameByIndex[$0] }
    }

    mutating func countFailover(bond name: String, old: (Bond, LinkUpdate), new: (Bond, LinkUpdate), now: Double) {
        let before = activeSlaveName(old.0, old.1)
        let after = activeSlaveName(new.0, new.1)
        // A failover is a change from one slave to another. A bond losing its last slave
        // (X -> none) or getting its first (none -> X) is not one.
        guard let before, let after, before != after else { return }
        counters.failovers[name, default: 0] += 1
        counters.lastFailover[name] = now
    }

    mutating func countSlaveTransition(bond: String, slave: String, old: BondSlave?, new: BondSlave) {
        guard let old else { return }
        var observedDown: UInt64 = 0
        if old.miiStatus.isUp != new.miiStatus.isUp {
            let to = new.miiStatus.isUp ? "up" : "down"
            counters.slaveTransitions[.init(bond: bond, slave: slave, to: to), default: 0] += 1
            if !new.miiStatus.isUp { observedDown = 1 }
        }
        // Failures the kernel counted but no event showed (lost, or too fast to see):
        // each was a down followed by an up when the slave is up now.
        if new.linkFailureCount > old.linkFailureCount {
            let missed = (new.linkFailureCount - old.linkFailureCount) - observedDown
            if missed > 0 {
                counters.slaveTransitions[.init(bond: bond, slave: slave, to: "down"), default: 0] += missed
                // Down now and its fall unseen: the last missed failure has not come back up.
                let ups = (!new.miiStatus.isUp && observedDown == 0) ? missed - 1 : missed
                if ups > 0 {
                    counters.slaveTransitions[.init(bond: bond, slave: slave, to: "up"), default: 0] += ups
                }
            }
        }
    }

    mutating func countLinkTransition(old: LinkUpdate, new: LinkUpdate) {
        let device = new.link.name
        var observed: UInt64 = 0
        if old.link.operState != new.link.operState {
            counters.linkTransitions[.init(device: device, to: new.link.operState.rawValue), default: 0] += 1
            observed = 1
        }
        // Carrier changes the kernel counted beyond what we saw come in pairs (down, up).
        if let a = old.link.carrierChanges, let b = new.link.carrierChanges, b > a {
            let missed = (b - a) > observed ? (b - a) - observed : 0
            if missed >= 2 {
                let pairs = missed / 2
                counters.linkTransitions[.init(device: device, to: "down"), default: 0] += pairs
                counters.linkTransitions[.init(device: device, to: "up"), default: 0] += pairs
            }
        }
    }

    // MARK: FDB

    mutating func addFDB(_ e: FDBEntry) {
        if let old = fdb.insert(e) {
            if old.portIndex != e.portIndex { countMove(bridgeIndex: e.bridgeIndex) }
            fdbCounts.remove(old)
        }
        fdbCounts.add(e)
    }

    mutating func countMove(bridgeIndex: Int32) {
        let bridge = nameByIndex[Int(bridgeIndex)] ?? "ifindex\(bridgeIndex)"
        counters.fdbMoves[bridge, default: 0] += 1
    }
}

extension TopologyChange {
    /// The ifindex a link change is about (`nil` for FDB changes and unknown indexes).
    var linkIndex: Int? {
        switch self {
        case .linkUpdated(let u): return u.link.index > 0 ? u.link.index : nil
        case .linkRemoved(let index, _), .bridgeVLANsUpdated(let index, _, _): return index > 0 ? index : nil
        case .fdbAdded, .fdbRemoved: return nil
        }
    }
}
