import KVMNetState

/// Runs every collector over one snapshot and renders the exposition text.
public struct MetricsRenderer: Sendable {
    public var collectors: [any Collector]

    public init(collectors: [any Collector]) { self.collectors = collectors }

    /// The standard set: bond, bridge, VLAN, link and self.
    public static func standard(version: String, netlink: Bool) -> MetricsRenderer {
        MetricsRenderer(collectors: [BondCollector(), BridgeCollector(), VLANCollector(), LinkCollector(),
                                     SelfCollector(version: version, netlink: netlink)])
    }

    /// Renders a snapshot. `elapsed`, when given, is asked after collecting and becomes
    /// `kvmnet_scrape_duration_seconds`. `seriesGuard`, when given, caps the series per
    /// family (``SeriesGuard``).
    public func render(_ snapshot: StateSnapshot, seriesGuard: SeriesGuard? = nil, elapsed: (() -> Double)? = nil) -> String {
        var families = collectors.flatMap { $0.collect(snapshot) }
        if let seriesGuard { families = seriesGuard.apply(families) }
        if let elapsed {
            var d = MetricFamily(name: "kvmnet_scrape_duration_seconds", help: "Time this scrape took to collect, in seconds.", type: .gauge)
            d.add([], elapsed())
            families.append(d)
        }
        return ExpositionRenderer.render(families)
    }
}
