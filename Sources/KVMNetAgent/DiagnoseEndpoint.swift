import Foundation
import KVMNetDiagnose
import KVMNetState
import KVMNetWeb

/// `/diagnose`: the same report as `kvmnet-diag --json`, computed from the agent's
/// in-memory model, so that an alert's runbook link shows it.
///
/// Query parameters: none (the whole host), `from=A&to=B` (can A reach B?), or
/// `from=A&external=1` (A's way out). A and B are matched against the model only
/// (domain, interface, MAC or IP): no parameter reaches the filesystem or a shell.
extension Agent {
    func diagnoseResponse(_ request: WebRequest) -> WebResponse {
        let query = QueryString.parse(request.query)
        for (key, value) in query {
            guard ["from", "to", "external"].contains(key) else {
                return badRequest("unknown parameter \"\(key)\": use from, to, external")
            }
            guard key != "external" || value == "1" else { return badRequest("external takes 1") }
            guard QueryString.isSafeEndpoint(value) else {
                return badRequest("parameter \(key) must be a domain, interface, MAC or IP address (letters, digits, . _ : - only, at most 128)")
            }
        }
        let target: DiagRequest.Target
        switch (query["from"], query["to"], query["external"]) {
        case (nil, nil, nil): target = .host
        case (let from?, let to?, nil): target = .path(from: from, to: to)
        case (let from?, nil, _?): target = .external(from: from)
        default: return badRequest("give from and to, or from and external=1, or nothing")
        }
        let snapshot = state.snapshot()
        let now = unixTimeNow()
        let moves = fdbMoveWindow.moves(current: snapshot.counters.fdbMoves, now: now)
        let collector = SnapshotCollector(options: CollectorOptions(
            procfsRoot: config.procfsRoot, sysfsRoot: config.sysfsRoot,
            libvirtDirectories: config.libvirtDirectories, ifcfgDirectory: config.ifcfgDirectory))
        let diagSnapshot = collector.collect(
            around: snapshot.topology,
            topologySources: config.netlink ? ["netlink", "procfs"] : ["sysfs", "procfs"],
            addressSource: config.netlink ? "netlink" : nil,
            fdbMoves: snapshot.fdbKnown ? moves.counts : nil,
            fdbMovesWindowSeconds: snapshot.fdbKnown ? max(moves.seconds, config.rescanIntervalSeconds) : nil)
        let report = diagnose(diagSnapshot, request: DiagRequest(target))
        do {
            let data = try report.jsonData()
            return WebResponse(status: report.status == .usageError ? 400 : 200,
                               contentType: "application/json", body: Array(data))
        } catch {
            return WebResponse(status: 500, contentType: "text/plain; charset=utf-8", text: "cannot encode the report: \(error)\n")
        }
    }

    private func badRequest(_ message: String) -> WebResponse {
        WebResponse(status: 400, contentType: "text/plain; charset=utf-8", text: "400 bad request: \(message)\n")
    }
}

/// `a=b&c=d` with percent-decoding.
enum QueryString {
    static func parse(_ query: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = decode(String(kv[0]))
            out[key] = kv.count > 1 ? decode(String(kv[1])) : ""
        }
        return out
    }

    static func decode(_ s: String) -> String {
        s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? s
    }

    /// Names, MACs, IPv4 and IPv6 addresses; `1` for flags.
    static func isSafeEndpoint(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 128 && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._:-".contains($0)) }
    }
}
