/// Renders metric families in the Prometheus text exposition format 0.0.4.
///
/// Families are sorted by name and samples by their label values, so two renders of the
/// same state are byte-identical (the golden test relies on it). Families without samples
/// are left out.
public enum ExpositionRenderer {
    /// The HTTP `Content-Type` of the output.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public static func render(_ families: [MetricFamily]) -> String {
        var out = ""
        out.reserveCapacity(families.reduce(0) { $0 + 64 + $1.samples.count * 80 })
        for family in families.sorted(by: { $0.name < $1.name }) where !family.samples.isEmpty {
            out += "# HELP \(family.name) \(escapeHelp(family.help))\n"
            out += "# TYPE \(family.name) \(family.type.rawValue)\n"
            for s in sortedSamples(family.samples) {
                out += family.name
                if !s.labels.isEmpty {
                    out += "{"
                    for (i, l) in s.labels.enumerated() {
                        if i > 0 { out += "," }
                        out += l.name
                        out += "=\""
                        out += escapeLabelValue(l.value)
                        out += "\""
                    }
                    out += "}"
                }
                out += " "
                out += s.value.text
                out += "\n"
            }
        }
        return out
    }

    /// Samples in the exposition's order: by their label values.
    public static func sortedSamples(_ samples: [Sample]) -> [Sample] {
        samples.sorted { a, b in
            a.labels.lazy.map(\.value).lexicographicallyPrecedes(b.labels.lazy.map(\.value))
        }
    }

    /// Escapes `\`, `"` and newline, as the format requires in label values.
    public static func escapeLabelValue(_ s: String) -> String {
        guard s.contains(where: { $0 == "\\" || $0 == "\"" || $0 == "\n" }) else { return s }
        var out = ""
        for c in s {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }

    /// Escapes `\` and newline, as the format requires in HELP text.
    public static func escapeHelp(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }
}
