import KVMNetState

/// The agent's own health: build, source errors, netlink traffic and resyncs.
public struct SelfCollector: Collector {
    public var version: String
    /// Whether netlink is in use (its series are left out with `--no-netlink`).
    public var netlink: Bool

    public init(version: String, netlink: Bool) {
        self.version = version
        self.netlink = netlink
    }

    public func collect(_ snapshot: StateSnapshot) -> [MetricFamily] {
        var build = MetricFamily(name: "kvmnet_build_info", help: "The agent's version; value is always 1.", type: .gauge)
        build.add([("version", version)], 1)
        var errors = MetricFamily(name: "kvmnet_source_errors_total", help: "Read or parse errors, by source; the scrape goes on without the piece in error.", type: .counter)
        for (src, n) in snapshot.counters.sourceErrors { errors.add([("source", src)], n) }
        var families = [build, errors]
        if netlink {
            var events = MetricFamily(name: "kvmnet_netlink_events_total", help: "Netlink messages received, by multicast group.", type: .counter)
            for g in ["addr", "link", "neigh"] { events.add([("group", g)], snapshot.counters.netlinkEvents[g] ?? 0) }
            var resyncs = MetricFamily(name: "kvmnet_netlink_resyncs_total", help: "Full re-reads of the kernel's state after lost events (socket overrun).", type: .counter)
            resyncs.add([], snapshot.counters.resyncs)
            families += [events, resyncs]
        }
        var fdb = MetricFamily(name: "kvmnet_fdb_entries_tracked", help: "Bridge FDB entries held in the agent's memory, all bridges.", type: .gauge)
        if snapshot.fdbKnown { fdb.add([], snapshot.fdbEntries) }
        families.append(fdb)
        return families
    }
}
