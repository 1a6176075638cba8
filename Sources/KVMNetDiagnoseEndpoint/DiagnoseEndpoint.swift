import KVMNetAgent
import KVMNetDiagnose
import KVMNetWeb

/// `/diagnose`: the same report as `kvmnet-diag --json`, computed from the agent's
/// in-memory model, so that an alert's runbook link shows it.
///
/// The diagnosis plugged into the agent: kvmnet-agent passes ``respond(_:host:)`` to
/// ``Agent/init(config:logger:state:diagnose:)``, so that the agent's sources, state and
/// metrics import nothing of the diagnosis, while `/diagnose` runs exactly the collector
/// and checks of kvmnet-diag, on the agent's model.
///
/// Query parameters: none (the whole host), `from=A&to=B` (can A reach B?), or
/// `from=A&external=1` (A's way out). A and B are matched against the model only
/// (domain, interface, MAC or IP): no parameter reaches the filesystem or a shell.
public enum DiagnoseEndpoint {
    public static func respond(_ request: WebRequest, host: LiveHost) -> WebResponse {
        if request.path == AgentAPI.snapshotPath { return snapshot(request, host: host) }
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
        let diagSnapshot = collect(host)
        let report = diagnose(diagSnapshot, request: DiagRequest(target))
        do {
            return WebResponse(status: report.status == .usageError ? 400 : 200,
                               contentType: "application/json", body: try report.jsonBytes())
        } catch {
            return WebResponse(status: 500, contentType: "text/plain; charset=utf-8", text: "cannot encode the report: \(error)\n")
        }
    }

    /// `/api/v1/snapshot`: `{"api_version": 1, "agent_version", "snapshot": {...}}`, the
    /// snapshot as `kvmnet-diag snapshot` writes it, with the secrets of the files read
    /// masked (``DiagSnapshot/maskingSecrets()``). No parameters.
    static func snapshot(_ request: WebRequest, host: LiveHost) -> WebResponse {
        guard request.query.isEmpty else { return AgentAPI.error(status: 400, "\(AgentAPI.snapshotPath) takes no parameters") }
        let collected = collect(host).maskingSecrets()
        do {
            let body = try collected.jsonBytes()
            var out = Array("{\"api_version\":\(AgentAPI.version),\"agent_version\":\"\(KVMNetDiagnoseVersion.current)\",\"snapshot\":".utf8)
            out.reserveCapacity(out.count + body.count + 3)
            out += body
            out += Array("}\n".utf8)
            return WebResponse(status: 200, contentType: "application/json", body: out)
        } catch {
            return AgentAPI.error(status: 500, "cannot encode the snapshot: \(error)")
        }
    }

    private static func collect(_ host: LiveHost) -> DiagSnapshot {
        SnapshotCollector(paths: host.paths).collect(
            around: host.topology, topologySources: host.topologySources, addressSource: host.addressSource,
            fdbMoves: host.fdbMoves, fdbMovesWindowSeconds: host.fdbMovesWindowSeconds)
    }

    private static func badRequest(_ message: String) -> WebResponse {
        WebResponse(status: 400, contentType: "text/plain; charset=utf-8", text: "400 bad request: \(message)\n")
    }
}

extension QueryString {
    /// Names, MACs, IPv4 and IPv6 addresses; `1` for flags.
    static func isSafeEndpoint(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 128 && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._:-".contains($0)) }
    }
}
