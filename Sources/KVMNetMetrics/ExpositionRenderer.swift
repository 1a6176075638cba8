/// Renders metric families in the Prometheus text exposition format 0.0.4.
///
/// Families are sorted by name and samples by their label values, so two renders of the
/// same state are byte-identical (the golden test relies on it). Families without samples
/// are left out.
///
/// The text is written as UTF-8 bytes into one buffer (``ExpositionWriter``) and samples
/// are ordered by byte keys (``SampleOrder``): a render after a change is on the scrape
/// path, and `String` appends and `String` comparisons cost about ten times as much.
public enum ExpositionRenderer {
    /// The HTTP `Content-Type` of the output.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public static func render(_ families: [MetricFamily]) -> String {
        String(decoding: renderBytes(families), as: UTF8.self)
    }

    /// The same text as ``render(_:)``, as the UTF-8 bytes an HTTP body carries.
    /// `rendered` are families written already (``RenderedFamily``): their bytes go in
    /// their sorted place among `families`, as if they had been written here.
    public static func renderBytes(_ families: [MetricFamily], rendered: [RenderedFamily] = []) -> [UInt8] {
        let ready = rendered.sorted { $0.name < $1.name }
        var w = ExpositionWriter(capacity: families.reduce(0) { $0 + 128 + $1.samples.count * 72 } + ready.reduce(0) { $0 + $1.bytes.count })
        var next = 0
        for family in families.sorted(by: { $0.name < $1.name }) {
            while next < ready.count && ready[next].name < family.name {
                w.write(bytes: ready[next].bytes)
                next += 1
            }
            if !family.samples.isEmpty { w.write(family) }
        }
        for r in ready[next...] { w.write(bytes: r.bytes) }
        return w.bytes
    }

    /// Samples in the exposition's order: by their label values.
    public static func sortedSamples(_ samples: [Sample]) -> [Sample] {
        SampleOrder.indices(of: samples).map { samples[$0] }
    }

    /// Escapes `\`, `"` and newline, as the format requires in label values.
    public static func escapeLabelValue(_ s: String) -> String {
        guard ExpositionWriter.needsEscape(s, quote: true) else { return s }
        var w = ExpositionWriter(capacity: s.utf8.count + 8)
        w.writeEscaped(s, quote: true)
        return w.string
    }

    /// Escapes `\` and newline, as the format requires in HELP text.
    public static func escapeHelp(_ s: String) -> String {
        guard ExpositionWriter.needsEscape(s, quote: false) else { return s }
        var w = ExpositionWriter(capacity: s.utf8.count + 8)
        w.writeEscaped(s, quote: false)
        return w.string
    }
}
