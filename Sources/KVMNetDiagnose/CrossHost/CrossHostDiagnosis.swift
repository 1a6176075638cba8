import KVMNetModel
import KVMNetSources

/// Diagnoses a path whose ends run on two hosts: each half is diagnosed on its own host
/// as `--external` is (the way out of that host), the halves are traced down to the wire,
/// and the ``CrossHostChecks`` join them: the same VLAN on the wire, MTUs, and whether
/// each host learned the other end's MAC on its uplink.
///
/// Pure: reads nothing but the two ``HostHalf`` values, so a test gives it snapshots as
/// the agents' API serves them.
public func diagnoseAcrossHosts(_ a: HostHalf, _ b: HostHalf, options: DiagOptions = DiagOptions()) -> DiagReport {
    CrossHostDiagnosis(a: a, b: b, options: options).run()
}

/// One half, resolved, traced and diagnosed on its host.
struct TracedHalf {
    let half: HostHalf
    let report: DiagReport
    /// The endpoint as resolved on its host (the first, when the name matched several).
    let resolved: Endpoint
    let chain: Chain?
    /// The chain's hops as the half's report marked them.
    let hops: [Hop]

    var endpoint: Endpoint { chain?.endpoint ?? resolved }
    var name: String { endpoint.displayName }
    var host: String { half.host }
    var failed: Bool { report.status == .fail }

    /// The smallest MTU of the devices along the half (slaves left out), and its device.
    func smallestMTU() -> (device: String, mtu: Int)? {
        var best: (String, Int)?
        for hop in hops where hop.kind != .slaves && hop.kind != .host {
            for device in hop.devices {
                guard let mtu = half.snapshot.topology.links[device]?.mtu else { continue }
                if best == nil || mtu < best!.1 { best = (device, mtu) }
            }
        }
        return best.map { (device: $0.0, mtu: $0.1) }
    }
}

struct CrossHostDiagnosis {
    let a: HostHalf
    let b: HostHalf
    let options: DiagOptions

    func run() -> DiagReport {
        let request = DiagRequest(.path(from: a.endpoint, to: b.endpoint), options: options)
        var errors: [ResolveError] = []
        var halves: [TracedHalf] = []
        for half in [a, b] {
            switch EndpointResolver(snapshot: half.snapshot).resolve(half.endpoint) {
            case .failure(let e):
                errors.append(ResolveError(query: e.query, message: "\(e.message) (on \(half.host))"))
            case .success(let ends) where ends.isEmpty:
                errors.append(ResolveError(query: half.endpoint, message: "\(half.endpoint) is not on \(half.host)"))
            case .success(let ends):
                let report = diagnose(half.snapshot, request: DiagRequest(.external(from: half.endpoint), options: options))
                let chain = PathTracer(snapshot: half.snapshot).analyseExternal(from: ends)?.from
                halves.append(TracedHalf(half: half, report: report, resolved: ends[0], chain: chain,
                                         hops: report.path?.fromHops ?? chain?.hops ?? []))
            }
        }
        guard errors.isEmpty, halves.count == 2 else {
            return DiagReport(
                host: nil, takenAt: nil, runningAsRoot: a.snapshot.runningAsRoot && b.snapshot.runningAsRoot,
                request: request, status: .usageError,
                verdict: "cannot diagnose: " + errors.map(\.message).joined(separator: "; "),
                path: nil, findings: [], checks: [], dataErrors: [], requestErrors: errors)
        }
        let (ha, hb) = (halves[0], halves[1])

        var findings: [Finding] = []
        var outcomes: [CheckOutcome] = []
        for half in halves {
            findings += half.report.findings.map { f in var f = f; f.host = half.host; return f }
            outcomes += half.report.checks.map { o in var o = o; o.host = half.host; return o }
        }
        let join = CrossHostContext(a: ha, b: hb)
        for check in CrossHostChecks.all {
            switch check.run(join) {
            case .skipped(let reason):
                outcomes.append(CheckOutcome(check: check.id, status: .skipped, reason: reason))
            case .ran(let found):
                outcomes.append(CheckOutcome(check: check.id, status: Diagnosis.status(of: found)))
                findings += found
            }
        }
        findings = CrossHostDiagnosis.sorted(findings)
        let dataErrors = halves.flatMap { h in
            h.half.snapshot.errors.map { e in var e = e; e.path = "\(h.host): \(e.path)"; return e }
        }
        let status = Diagnosis.status(findings: findings, dataErrors: dataErrors)
        let joinFailed = findings.contains { $0.severity == .fail && $0.host == nil }
        var path = PathReport(PathAnalysis(from: ha.chain ?? Chain(endpoint: ha.endpoint, hops: ha.hops),
                                           to: hb.chain ?? Chain(endpoint: hb.endpoint, hops: hb.hops)))
        path.fromHops = ha.hops
        path.toHops = hb.hops
        path.rendered = CrossHostRenderer.render(ha, hb, wireBroken: joinFailed)
        var report = DiagReport(
            host: nil, takenAt: nil, runningAsRoot: a.snapshot.runningAsRoot && b.snapshot.runningAsRoot,
            request: request, status: status,
            verdict: verdict(ha, hb, status: status, findings: findings,
                             learned: outcomes.contains { $0.check == "crosshost.switch_not_forwarding" && $0.status == .passed }),
            path: path, findings: findings, checks: outcomes, dataErrors: dataErrors, requestErrors: [])
        report.hosts = halves.map(Self.halfReport)
        return report
    }

    static func halfReport(_ h: TracedHalf) -> HostHalfReport {
        HostHalfReport(
            host: h.host, source: h.half.source, endpoint: h.endpoint, bridge: h.chain?.bridge,
            uplink: h.chain?.uplink, trunk: h.chain?.trunk, wireTags: h.chain?.tags ?? [],
            pathMTU: h.smallestMTU()?.mtu, status: h.report.status, verdict: h.report.verdict, hops: h.hops)
    }

    /// Most severe first; within a severity the joining findings (the switch between the
    /// hosts) after the hosts' own, which explain more.
    static func sorted(_ findings: [Finding]) -> [Finding] {
        findings.enumerated().sorted { l, r in
            if l.element.severity != r.element.severity { return l.element.severity > r.element.severity }
            return l.offset < r.offset
        }.map(\.element)
    }

    func verdict(_ a: TracedHalf, _ b: TracedHalf, status: ReportStatus, findings: [Finding], learned: Bool) -> String {
        let ends = "\(a.name) (on \(a.host)) and \(b.name) (on \(b.host))"
        func headline(_ f: Finding) -> String { f.host.map { "on \($0): " + f.headline } ?? f.headline }
        switch status {
        case .fail:
            let first = findings.first { $0.severity == .fail }!
            return "\(a.name) (on \(a.host)) cannot reach \(b.name) (on \(b.host)): \(headline(first))"
        case .warn:
            let first = findings.first { $0.severity == .warn }!
            return "\(ends) can reach each other, with a warning: \(headline(first))"
        case .incomplete:
            return "no failure found between \(ends), but some sources could not be read (see below)"
        case .ok, .usageError:
            let wire = a.chain?.tags.isEmpty == false ? "in VLAN \(a.chain!.outerTag!)" : "untagged"
            let fdb = learned ? ", and each host learned the other's MAC on its uplink"
                : " (whether the network between the hosts carries their frames is not known: no FDB lookup, see the skipped checks)"
            return "\(ends) meet on the wire \(wire) (\(a.host) \(a.chain?.trunk ?? "?"), \(b.host) \(b.chain?.trunk ?? "?"))\(fdb)"
        }
    }
}
