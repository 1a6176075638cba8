/// Renders a report for a terminal or a log: the verdict, the path line, each finding
/// with its evidence and fix, the data errors, and the summary. Colour (ANSI) only when
/// asked, which the CLI does only when stdout is a terminal.
public struct TextRenderer: Sendable {
    public var colour: Bool

    public init(colour: Bool) { self.colour = colour }

    private enum Paint: String {
        case red = "31", yellow = "33", green = "32", cyan = "36", bold = "1", dim = "2"
    }

    private func paint(_ text: String, _ p: Paint) -> String {
        colour ? "\u{1B}[\(p.rawValue)m\(text)\u{1B}[0m" : text
    }

    private func label(_ severity: Severity) -> String {
        switch severity {
        case .fail: return paint("FAIL", .red)
        case .warn: return paint("WARN", .yellow)
        case .info: return paint("INFO", .cyan)
        }
    }

    private func label(_ status: ReportStatus) -> String {
        switch status {
        case .ok: return paint("OK", .green)
        case .warn: return paint("WARN", .yellow)
        case .fail: return paint("FAIL", .red)
        case .incomplete: return paint("INCOMPLETE", .yellow)
        case .usageError: return paint("ERROR", .red)
        }
    }

    public func render(_ report: DiagReport) -> String {
        var out: [String] = []
        out.append("\(label(report.status))  \(report.verdict)")
        if let path = report.path {
            out.append("")
            let line = colour ? path.rendered.replacingOccurrences(of: PathRenderer.broken, with: "  \(paint("X", .red))  ") : path.rendered
            out.append("  " + line)
        }
        for half in report.hosts ?? [] {
            out.append("  \(half.host): \(half.endpoint.displayName) on \(half.bridge ?? "no bridge"), leaves by \(half.trunk ?? "nothing") \(half.wireTags.isEmpty ? "untagged" : "tagged " + half.wireTags.reversed().map(String.init).joined(separator: "/")), MTU \(half.pathMTU.map(String.init) ?? "?"); from \(half.source)")
        }
        if !report.findings.isEmpty {
            out.append("")
            for finding in report.findings {
                let on = finding.host.map { "  (on \($0))" } ?? ""
                out.append("\(label(finding.severity))  \(paint(finding.check, .bold))  \(finding.subject)\(on)")
                out.append("      \(finding.explanation)")
                for (i, evidence) in finding.evidence.enumerated() {
                    out.append("      \(i == 0 ? "evidence:" : "         ") \(evidence.rendered)")
                }
                out.append("      fix: \(finding.fix)")
                out.append("")
            }
            out.removeLast()
        }
        if !report.dataErrors.isEmpty {
            out.append("")
            out.append("Unreadable sources (data incomplete):")
            for error in report.dataErrors {
                out.append("  \(error.source) \(error.path): \(error.message)")
            }
        }
        let s = report.summary
        out.append("")
        if report.status == .usageError {
            out.append("No checks ran.")
        } else {
            out.append("Checks: \(s.checks) run: \(s.passed) passed, \(s.info) info, \(s.warned) warned, \(s.failed) failed, \(s.skipped) skipped")
            for skipped in s.skippedChecks {
                out.append(paint("  skipped \(skipped.check): \(skipped.reason ?? "")", .dim))
            }
        }
        if !report.runningAsRoot {
            out.append(paint("Not running as root: LACP partner details and /proc/net/vlan are hidden.", .dim))
        }
        return out.joined(separator: "\n") + "\n"
    }
}

extension String {
    /// Replaces every occurrence of `target` (no Foundation needed).
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            out += rest[..<range.lowerBound]
            out += replacement
            rest = rest[range.upperBound...]
        }
        return out + rest
    }
}
