import KVMNetState

/// A metric family already written in the exposition format: what the renderer appends
/// in the family's sorted place instead of writing its samples again.
public struct RenderedFamily: Sendable, Hashable {
    public let name: String
    /// Its number of series: what the cardinality guard (``SeriesGuard``) counts.
    public let series: Int
    /// `# HELP`, `# TYPE` and the samples in exposition order, exactly as
    /// ``ExpositionRenderer/renderBytes(_:rendered:)`` writes the family; empty when the
    /// family has no samples (left out, as the renderer leaves such families out).
    public let bytes: [UInt8]

    /// Renders `family`.
    public init(_ family: MetricFamily) {
        name = family.name
        series = family.samples.count
        guard !family.samples.isEmpty else {
            bytes = []
            return
        }
        var w = ExpositionWriter(capacity: 128 + family.samples.count * 72)
        w.write(family)
        bytes = w.bytes
    }
}

/// A collector that can hand over its families already rendered, kept from an earlier
/// render while what they show did not change (``BridgeVLANCollector``).
///
/// `rendered(s)` must be, byte for byte, the rendering of `collect(s)`'s families: the
/// renderer uses either, `collect` when the cardinality guard has to cut one of them.
public protocol RenderingCollector: Collector {
    func rendered(_ snapshot: StateSnapshot) -> [RenderedFamily]
}
