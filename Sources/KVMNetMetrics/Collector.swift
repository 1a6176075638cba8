import KVMNetState

/// Turns one subject of a state snapshot into metric families. Collectors are pure:
/// they read the snapshot and nothing else, so a scrape only renders memory.
public protocol Collector: Sendable {
    func collect(_ snapshot: StateSnapshot) -> [MetricFamily]
}
