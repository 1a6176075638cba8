/// Builds the one-line verdict of a report.
struct Verdict {
    let request: DiagRequest
    let snapshot: DiagSnapshot
    let analysis: PathAnalysis?
    let findings: [Finding]
    let outcomes: [CheckOutcome]

    private var fails: [Finding] { findings.filter { $0.severity == .fail } }
    private var warns: [Finding] { findings.filter { $0.severity == .warn } }

    func text(status: ReportStatus) -> String {
        var line: String
        switch request.target {
        case .host: line = hostLine()
        case .path(let from, let to): line = pathLine(from, to)
        case .external(let from): line = externalLine(from)
        }
        if status == .incomplete || (!snapshot.errors.isEmpty && status == .fail) {
            let n = snapshot.errors.count
            line += " (data incomplete: \(n) source\(n == 1 ? "" : "s") unreadable)"
        }
        return line
    }

    private func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }

    private func hostLine() -> String {
        let host = snapshot.hostname ?? "this host"
        if let first = fails.first {
            return "\(plural(fails.count, "failure")) and \(plural(warns.count, "warning")) on \(host); first: \(first.headline)"
        }
        if let first = warns.first {
            return "No failures, \(plural(warns.count, "warning")) on \(host); first: \(first.headline)"
        }
        let passed = outcomes.filter { $0.status == .passed || $0.status == .info }.count
        return "No problems found on \(host) (\(plural(passed, "check")) passed)"
    }

    private func pathLine(_ from: String, _ to: String) -> String {
        let first = fails.first { $0.check.hasPrefix("path.") } ?? fails.first
        if let first {
            return "\(from) cannot reach \(to): \(first.headline)"
        }
        let segment = segmentText()
        if analysis?.relation?.sharesSegment == true {
            if let warn = warns.first {
                return "\(from) and \(to) share an L2 segment (\(segment)), with \(plural(warns.count, "warning")); first: \(warn.headline)"
            }
            return "\(from) and \(to) share an L2 segment (\(segment)); nothing wrong found on the path"
        }
        if let warn = warns.first {
            return "\(from) and \(to) may not reach each other: \(warn.headline)"
        }
        return "\(from) and \(to) share no segment inside the host, and no check found why"
    }

    private func segmentText() -> String {
        guard let analysis, let relation = analysis.relation else { return "" }
        switch relation {
        case .same: return "same device"
        case .sameBridge: return "bridge \(analysis.from.bridge ?? "?")"
        case .sameSegment:
            let tag = analysis.from.outerTag.map { "VLAN \($0)" } ?? "untagged"
            return "\(tag) on \(analysis.from.trunk ?? "?")"
        default: return relation.rawValue
        }
    }

    private func externalLine(_ from: String) -> String {
        if let first = fails.first {
            return "\(from) cannot get out: \(first.headline)"
        }
        let way: String
        if let analysis, analysis.routedByHost {
            way = "routed by the host from \(analysis.from.bridge ?? "?")"
        } else if let trunk = analysis?.from.trunk {
            way = "through \(trunk)"
        } else {
            way = "no uplink"
        }
        if let warn = warns.first {
            return "\(from)'s way out (\(way)) works, with \(plural(warns.count, "warning")); first: \(warn.headline)"
        }
        if analysis?.from.trunk == nil && analysis?.routedByHost != true {
            return "\(from) has no way out: its segment ends inside the host"
        }
        return "\(from)'s way out (\(way)) looks healthy"
    }
}
