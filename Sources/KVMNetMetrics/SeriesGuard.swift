import KVMNetLock

/// The cardinality guard: at most ``maxSeriesPerFamily`` series per metric family in
/// one scrape (`--web.max-series-per-family`). A family over the cap keeps its first
/// series in the exposition's order (sorted by label values, so the same ones every
/// scrape) and leaves out the rest; each series left out adds 1 to
/// `kvmnet_series_dropped_total{family}` each time the family is rendered (a scrape of an
/// unchanged host reuses the last rendering and adds nothing). ``onChange`` is called when the number a
/// family leaves out changes (over the cap, a different excess, back under it): once
/// per change, not once per scrape.
///
/// No label of the agent's families holds an unbounded value: series are per bond,
/// slave, bridge, port, VLAN or device; the two MAC labels, `partner_mac` of
/// `kvmnet_bond_lacp_info` (one per bond) and `mac` of `kvmnet_vm_interface_info` (one
/// per VM interface), are bounded the same way. The cap is the last line of defence for
/// hosts far bigger than designed for (or a bug): the scrape stays small and says so.
public final class SeriesGuard: Sendable {
    /// The name of the guard's own counter.
    public static let droppedFamily = "kvmnet_series_dropped_total"

    /// One family's excess changed.
    public struct Change: Sendable, Hashable {
        public var family: String
        /// Series the family had in this scrape.
        public var series: Int
        /// Series left out (0: back under the cap).
        public var dropped: Int
        public var limit: Int

        public init(family: String, series: Int, dropped: Int, limit: Int) {
            self.family = family
            self.series = series
            self.dropped = dropped
            self.limit = limit
        }
    }

    public let maxSeriesPerFamily: Int
    private let onChange: @Sendable (Change) -> Void
    private struct State {
        var droppedTotal: [String: UInt64] = [:]
        var lastDropped: [String: Int] = [:]
    }
    private let state = Locked(State())

    /// - Parameters:
    ///   - maxSeriesPerFamily: the cap; 0 or less: no cap.
    ///   - onChange: told when a family's excess changes (for a log line).
    public init(maxSeriesPerFamily: Int, onChange: @escaping @Sendable (Change) -> Void = { _ in }) {
        self.maxSeriesPerFamily = maxSeriesPerFamily
        self.onChange = onChange
    }

    /// Whether a family of `series` series is over the cap (and would be cut).
    public func cuts(_ series: Int) -> Bool { maxSeriesPerFamily > 0 && series > maxSeriesPerFamily }

    /// The families with at most ``maxSeriesPerFamily`` series each, plus
    /// `kvmnet_series_dropped_total` for every family that ever went over the cap.
    /// `rendered` are the names and series counts of the families of this scrape that are
    /// rendered already (``RenderedFamily``), each within the cap (see ``cuts(_:)``): they
    /// are in the scrape, nothing of them is left out.
    public func apply(_ families: [MetricFamily], rendered: [(name: String, series: Int)] = []) -> [MetricFamily] {
        var out: [MetricFamily] = []
        out.reserveCapacity(families.count + 1)
        var droppedNow: [String: (series: Int, dropped: Int)] = [:]
        for var family in families {
            if cuts(family.samples.count) {
                let total = family.samples.count
                family.samples = Array(ExpositionRenderer.sortedSamples(family.samples).prefix(maxSeriesPerFamily))
                droppedNow[family.name, default: (0, 0)].series += total
                droppedNow[family.name, default: (0, 0)].dropped += total - maxSeriesPerFamily
            }
            out.append(family)
        }
        let names = Set(families.map(\.name) + rendered.map(\.name))
        let (changes, totals): ([Change], [String: UInt64]) = state.withLock { s in
            var changes: [Change] = []
            for (name, d) in droppedNow {
                s.droppedTotal[name, default: 0] += UInt64(d.dropped)
                if s.lastDropped[name] != d.dropped {
                    changes.append(Change(family: name, series: d.series, dropped: d.dropped, limit: maxSeriesPerFamily))
                    s.lastDropped[name] = d.dropped
                }
            }
            // Families back under the cap (present in this scrape, nothing left out).
            for (name, last) in s.lastDropped where last > 0 && droppedNow[name] == nil && names.contains(name) {
                let series = families.filter { $0.name == name }.reduce(0) { $0 + $1.samples.count }
                    + rendered.filter { $0.name == name }.reduce(0) { $0 + $1.series }
                changes.append(Change(family: name, series: series, dropped: 0, limit: maxSeriesPerFamily))
                s.lastDropped[name] = 0
            }
            return (changes, s.droppedTotal)
        }
        for c in changes.sorted(by: { $0.family < $1.family }) { onChange(c) }
        var dropped = MetricFamily(
            name: Self.droppedFamily,
            help: "Series left out because their family had more than --web.max-series-per-family, by family; 1 per series each time the family is rendered.",
            type: .counter)
        for (name, n) in totals { dropped.add([("family", name)], n) }
        out.append(dropped)
        return out
    }

    /// Series left out so far, by family.
    public var droppedTotals: [String: UInt64] { state.withLock { $0.droppedTotal } }
}
