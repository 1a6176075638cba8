import KVMNetModel

/// What a scrape renders: the topology and the event counters, taken together under one lock.
public struct StateSnapshot: Sendable {
    public var topology: Topology
    public var counters: EventCounters
    /// Total FDB entries held (all bridges).
    public var fdbEntries: Int
    /// Whether the FDB was read at all (no-netlink trees without `brforward` have none).
    public var fdbKnown: Bool

    public init(topology: Topology, counters: EventCounters, fdbEntries: Int = 0, fdbKnown: Bool = false) {
        self.topology = topology
        self.counters = counters
        self.fdbEntries = fdbEntries
        self.fdbKnown = fdbKnown
    }
}
