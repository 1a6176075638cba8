import KVMNetSources
/// Diagnoses a snapshot: resolves the request's endpoints, traces the path, runs every
/// check that applies, keeps the findings that concern the path, and builds the report.
///
/// Pure: reads nothing but `snapshot`, so `kvmnet-diag` (live or `--from`) and
/// `kvmnet-agent` (`/diagnose`, from its in-memory model) give the same answer.
public func diagnose(_ snapshot: DiagSnapshot, request: DiagRequest) -> DiagReport {
    Diagnosis(snapshot: snapshot, request: request).run()
}

/// The steps of one diagnosis.
struct Diagnosis {
    let snapshot: DiagSnapshot
    let request: DiagRequest

    func run() -> DiagReport {
        var analysis: PathAnalysis?
        switch request.target {
        case .host:
            break
        case .path(let from, let to):
            let resolver = EndpointResolver(snapshot: snapshot)
            let ends = [resolver.resolve(from), resolver.resolve(to)]
            let errors = ends.compactMap { if case .failure(let e) = $0 { return e } else { return nil } }
            guard errors.isEmpty, case .success(let a) = ends[0], case .success(let b) = ends[1] else {
                return usageError(errors)
            }
            analysis = PathTracer(snapshot: snapshot).analyse(from: a, to: b)
        case .external(let from):
            switch EndpointResolver(snapshot: snapshot).resolve(from) {
            case .failure(let error): return usageError([error])
            case .success(let a): analysis = PathTracer(snapshot: snapshot).analyseExternal(from: a)
            }
        }

        let context = CheckContext(snapshot: snapshot, mode: request.mode, path: analysis, options: request.options)
        var findings: [Finding] = []
        var outcomes: [CheckOutcome] = []
        for check in CheckCatalog.all where check.modes.contains(request.mode) {
            switch check.run(context) {
            case .skipped(let reason):
                outcomes.append(CheckOutcome(check: check.id, status: .skipped, reason: reason))
            case .ran(let all):
                let kept = all.filter { keep($0, check: check, analysis: analysis) }
                outcomes.append(CheckOutcome(check: check.id, status: Self.status(of: kept)))
                findings += kept
            }
        }
        findings = Self.sorted(findings)
        if var marked = analysis {
            Self.mark(&marked, with: findings)
            analysis = marked
        }
        let status = Self.status(findings: findings, dataErrors: snapshot.errors)
        let verdict = Verdict(request: request, snapshot: snapshot, analysis: analysis,
                              findings: findings, outcomes: outcomes).text(status: status)
        return DiagReport(
            host: snapshot.hostname, takenAt: snapshot.takenAt, runningAsRoot: snapshot.runningAsRoot,
            request: request, status: status, verdict: verdict, path: analysis.map(PathReport.init),
            findings: findings, checks: outcomes, dataErrors: snapshot.errors, requestErrors: [])
    }

    /// In path and external modes, only findings about the path's devices are kept (and,
    /// for external, host-wide ones).
    private func keep(_ finding: Finding, check: Check, analysis: PathAnalysis?) -> Bool {
        guard request.mode != .host else { return true }
        if check.family == .path { return true }
        if check.hostWide { return request.mode == .external }
        guard let analysis else { return false }
        return !analysis.devices.isDisjoint(with: finding.devices)
    }

    private func usageError(_ errors: [ResolveError]) -> DiagReport {
        let verdict = "cannot diagnose: " + errors.map(\.message).joined(separator: "; ")
        return DiagReport(
            host: snapshot.hostname, takenAt: snapshot.takenAt, runningAsRoot: snapshot.runningAsRoot,
            request: request, status: .usageError, verdict: verdict, path: nil, findings: [],
            checks: [], dataErrors: snapshot.errors, requestErrors: errors)
    }

    static func status(of findings: [Finding]) -> CheckOutcome.Status {
        switch findings.map(\.severity).max() {
        case .fail?: return .failed
        case .warn?: return .warned
        case .info?: return .info
        case nil: return .passed
        }
    }

    /// Fail beats incomplete data, which beats warnings.
    static func status(findings: [Finding], dataErrors: [SourceError]) -> ReportStatus {
        if findings.contains(where: { $0.severity == .fail }) { return .fail }
        if !dataErrors.isEmpty { return .incomplete }
        if findings.contains(where: { $0.severity == .warn }) { return .warn }
        return .ok
    }

    /// Most severe first; path findings first within a severity; then catalog order.
    static func sorted(_ findings: [Finding]) -> [Finding] {
        let order = Dictionary(CheckCatalog.all.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        return findings.enumerated().sorted { l, r in
            let (a, b) = (l.element, r.element)
            if a.severity != b.severity { return a.severity > b.severity }
            let (oa, ob) = (order[a.check] ?? .max, order[b.check] ?? .max)
            if oa != ob { return oa < ob }
            return l.offset < r.offset
        }.map(\.element)
    }

    /// Marks the hops that failing non-path findings are about: a finding's first device
    /// is its subject. Path findings describe the junction between hops, which the
    /// renderer marks itself.
    static func mark(_ analysis: inout PathAnalysis, with findings: [Finding]) {
        let failing = findings.filter { $0.severity == .fail && !$0.check.hasPrefix("path.") }
        func marked(_ hops: [Hop]) -> [Hop] {
            hops.map { hop in
                var hop = hop
                let devices = Set(hop.devices + (hop.domain.map { [$0] } ?? []))
                hop.failures = failing.filter { $0.devices.first.map(devices.contains) ?? false }
                    .map(\.check).uniqued()
                return hop
            }
        }
        analysis.from.hops = marked(analysis.from.hops)
        if let to = analysis.to {
            analysis.to?.hops = marked(to.hops)
        }
    }
}

extension Array where Element: Hashable {
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
