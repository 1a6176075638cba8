import KVMNetState

/// Runs every collector over one snapshot and renders the exposition text.
public struct MetricsRenderer: Sendable {
    public var collectors: [any Collector]

    public init(collectors: [any Collector]) { self.collectors = collectors }

    /// The standard set: bond, bridge, VLAN, link and self.
    public static func standard(version: String, netlink: Bool) -> MetricsRenderer {
        MetricsRenderer(collectors: [BondCollector(), BridgeCollector(), BridgeVLANCollector(), VLANCollector(), LinkCollector(),
                                     SelfCollector(version: version, netlink: netlink)])
    }

    /// The rendering of a snapshot in two parts: the families sorted before
    /// `kvmnet_scrape_duration_seconds` and those after, so that a cached rendering can be
    /// served with a fresh duration in its sorted place (``ScrapeDuration/family(_:)``).
    /// The parts are UTF-8 bytes, ready to be joined into an HTTP body. `seriesGuard`,
    /// when given, caps the series per family (``SeriesGuard``).
    public func renderParts(_ snapshot: StateSnapshot, seriesGuard: SeriesGuard? = nil) -> (before: [UInt8], after: [UInt8]) {
        let (families, rendered) = collect(snapshot, seriesGuard: seriesGuard)
        let split = ScrapeDuration.name
        return (ExpositionRenderer.renderBytes(families.filter { $0.name < split }, rendered: rendered.filter { $0.name < split }),
                ExpositionRenderer.renderBytes(families.filter { $0.name > split }, rendered: rendered.filter { $0.name > split }))
    }

    /// Renders a snapshot. `elapsed`, when given, is asked after collecting and becomes
    /// `kvmnet_scrape_duration_seconds`. `seriesGuard`, when given, caps the series per
    /// family (``SeriesGuard``).
    public func render(_ snapshot: StateSnapshot, seriesGuard: SeriesGuard? = nil, elapsed: (() -> Double)? = nil) -> String {
        var (families, rendered) = collect(snapshot, seriesGuard: seriesGuard)
        if let elapsed { families.append(ScrapeDuration.family(elapsed())) }
        return String(decoding: ExpositionRenderer.renderBytes(families, rendered: rendered), as: UTF8.self)
    }

    /// Every collector's families, through the guard: those of a ``RenderingCollector``
    /// already rendered, unless the guard has to cut one of them (then they are collected
    /// and cut like any other). The guard counts the rendered ones' series too.
    func collect(_ snapshot: StateSnapshot, seriesGuard: SeriesGuard?) -> (families: [MetricFamily], rendered: [RenderedFamily]) {
        var families: [MetricFamily] = []
        var rendered: [RenderedFamily] = []
        for collector in collectors {
            if let r = collector as? any RenderingCollector {
                let parts = r.rendered(snapshot)
                if !parts.contains(where: { seriesGuard?.cuts($0.series) == true }) {
                    rendered += parts
                    continue
                }
            }
            families += collector.collect(snapshot)
        }
        if let seriesGuard { families = seriesGuard.apply(families, rendered: rendered.map { ($0.name, $0.series) }) }
        return (families, rendered)
    }
}

/// `kvmnet_scrape_duration_seconds`.
public enum ScrapeDuration {
    public static let name = "kvmnet_scrape_duration_seconds"

    public static func family(_ seconds: Double) -> MetricFamily {
        var d = MetricFamily(name: name, help: "Time this scrape took to collect, in seconds.", type: .gauge)
        d.add([], seconds)
        return d
    }
}
