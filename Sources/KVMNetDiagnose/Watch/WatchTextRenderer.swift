/// Renders a ``WatchReport`` for a terminal: the verdict, the static path and verdict it
/// is joined with, the frames per device, each drop with its cause, the start of the
/// timeline, and the notes.
public struct WatchTextRenderer: Sendable {
    /// Timeline lines in the text form (the JSON form keeps ``WatchAnalysis/timelineLimit``).
    public static let timelineLines = 20

    public var colour: Bool

    public init(colour: Bool) { self.colour = colour }

    private func paint(_ text: String, _ code: String) -> String {
        colour ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    private func name(_ direction: WatchReport.Direction, _ report: WatchReport) -> String {
        direction == .forward ? "\(report.from) -> \(report.to)" : "\(report.to) -> \(report.from)"
    }

    public func render(_ report: WatchReport) -> String {
        var out: [String] = []
        let label = report.drops.isEmpty ? paint("OK", "32") : paint("FAIL", "31")
        out.append("\(label)  \(report.verdict)")
        out.append("")
        out.append("Watched \(WatchAnalysis.format((report.seconds * 10).rounded() / 10)) s. Static diagnosis: \(report.staticVerdict)")
        if !report.staticPath.isEmpty { out.append("  \(report.staticPath)") }
        if !report.frames.isEmpty {
            out.append("")
            out.append("Frames seen")
            for direction in [WatchReport.Direction.forward, .backward] {
                let counts = report.frames.filter { $0.direction == direction }
                guard !counts.isEmpty else { continue }
                out.append("  \(name(direction, report)): " + counts.map { "\($0.device) \($0.event) \($0.count)" }.joined(separator: ", "))
            }
        }
        if !report.drops.isEmpty {
            out.append("")
            out.append("Drops")
            for drop in report.drops {
                let hop = drop.hop.map { $0 == drop.device ? "" : " (hop \($0))" } ?? " (off the traced path)"
                let marked = drop.checks.isEmpty ? "" : "; static checks: \(drop.checks.joined(separator: ", "))"
                out.append("  \(paint("\(drop.count)", "1")) \(drop.source == .kernel ? "dropped at" : "not forwarded by") \(drop.device)\(hop), \(name(drop.direction, report))")
                out.append("      reason \(drop.reason)" + (drop.function.map { " in \($0)" } ?? "")
                           + (drop.vlanID.map { ", VLAN \($0)" } ?? "") + (drop.protocols.isEmpty ? "" : ", " + drop.protocols.joined(separator: ", ")))
                out.append("      \(drop.cause)\(marked)")
            }
        }
        if !report.timeline.isEmpty {
            out.append("")
            let shown = report.timeline.prefix(Self.timelineLines)
            let more = report.timeline.count - shown.count + report.timelineOmitted
            out.append("Timeline" + (more > 0 ? " (first \(shown.count) of \(report.timeline.count + report.timelineOmitted) events; --json has \(report.timeline.count))" : ""))
            for entry in shown {
                var line = "  +" + String(format3(entry.seconds)) + " s  \(name(entry.direction, report))  \(entry.event) \(entry.device)  \(entry.protocolName)"
                if let vlan = entry.vlanID { line += "  VLAN \(vlan)" }
                if let reason = entry.reason { line += "  \(reason)" }
                if let function = entry.function { line += " (\(function))" }
                out.append(line)
            }
        }
        if !report.notes.isEmpty {
            out.append("")
            for note in report.notes { out.append("Note: \(note)") }
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// Seconds with three decimals.
    private func format3(_ seconds: Double) -> String {
        let millis = Int((seconds * 1000).rounded())
        let frac = String(millis % 1000)
        return "\(millis / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
    }
}
