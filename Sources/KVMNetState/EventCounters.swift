/// Counters that only an event-driven agent can have: every change the kernel reported,
/// counted as it happened, and reconciled from the kernel's own counters when events
/// were lost. They never go backwards while their device exists.
public struct EventCounters: Sendable, Hashable {
    /// A bond slave's MII transition.
    public struct SlaveTransition: Sendable, Hashable, Comparable {
        public var bond: String
        public var slave: String
        /// `up` or `down`.
        public var to: String
        public init(bond: String, slave: String, to: String) {
            self.bond = bond
            self.slave = slave
            self.to = to
        }
        public static func < (a: Self, b: Self) -> Bool { (a.bond, a.slave, a.to) < (b.bond, b.slave, b.to) }
    }

    /// A link's operational-state transition.
    public struct LinkTransition: Sendable, Hashable, Comparable {
        public var device: String
        /// The new operational state (`up`, `down`, `lowerlayerdown`, ...).
        public var to: String
        public init(device: String, to: String) {
            self.device = device
            self.to = to
        }
        public static func < (a: Self, b: Self) -> Bool { (a.device, a.to) < (b.device, b.to) }
    }

    /// Active slave changed from one slave to another, by bond.
    public var failovers: [String: UInt64] = [:]
    /// Unix time of the last failover, by bond.
    public var lastFailover: [String: Double] = [:]
    public var slaveTransitions: [SlaveTransition: UInt64] = [:]
    public var linkTransitions: [LinkTransition: UInt64] = [:]
    /// A MAC+VLAN seen on a different port than before, by bridge.
    public var fdbMoves: [String: UInt64] = [:]
    /// Netlink messages received, by multicast group (`link`, `neigh`).
    public var netlinkEvents: [String: UInt64] = [:]
    /// Full re-reads after lost events (socket overrun).
    public var resyncs: UInt64 = 0
    /// Read or parse errors, by source (`sysfs`, `procfs_bonding`, `procfs_vlan`, `netlink`, ...).
    public var sourceErrors: [String: UInt64] = [:]

    public init() {}

    /// Moves every series of `old` to `new` (a renamed device keeps its history).
    mutating func rename(_ old: String, to new: String) {
        if let v = failovers.removeValue(forKey: old) { failovers[new, default: 0] += v }
        if let v = lastFailover.removeValue(forKey: old) { lastFailover[new] = v }
        if let v = fdbMoves.removeValue(forKey: old) { fdbMoves[new, default: 0] += v }
        for (k, v) in linkTransitions where k.device == old {
            linkTransitions[k] = nil
            linkTransitions[LinkTransition(device: new, to: k.to), default: 0] += v
        }
        for (k, v) in slaveTransitions where k.bond == old || k.slave == old {
            slaveTransitions[k] = nil
            let nk = SlaveTransition(bond: k.bond == old ? new : k.bond,
                                     slave: k.slave == old ? new : k.slave, to: k.to)
            slaveTransitions[nk, default: 0] += v
        }
    }

    /// Drops every series of a device that no longer exists.
    mutating func forget(_ name: String) {
        failovers[name] = nil
        lastFailover[name] = nil
        fdbMoves[name] = nil
        linkTransitions = linkTransitions.filter { $0.key.device != name }
        slaveTransitions = slaveTransitions.filter { $0.key.bond != name && $0.key.slave != name }
    }
}
