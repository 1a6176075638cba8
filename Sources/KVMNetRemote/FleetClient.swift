import KVMNetDiagnose
import KVMNetModel

/// One agent's snapshot, fetched.
public struct FetchedHost: Sendable {
    /// The host's name in reports: its Prometheus `instance`, or the `--peer` as given.
    public var name: String
    public var address: HTTPAddress
    public var snapshot: DiagSnapshot
}

/// What a diagnosis across hosts needs, fetched: both ends' hosts, or one host holding
/// both ends (then an ordinary diagnosis of that host answers).
public enum FleetFetch: Sendable {
    case sameHost(FetchedHost)
    case twoHosts(HostHalf, HostHalf)
}

/// Finds the hosts of two endpoints (through Prometheus, or among given peers), fetches
/// their snapshots and FDB lookups from the agents' API (docs/api.md), and times each
/// step for `--timings`.
public final class FleetClient: @unchecked Sendable {  // used from one thread; timings is its only state
    public let fetcher: HTTPFetcher
    /// `(stage, milliseconds)` in order.
    public private(set) var timings: [(stage: String, milliseconds: Double)] = []

    public init(fetcher: HTTPFetcher) { self.fetcher = fetcher }

    /// Adds a stage that started at `start` and ends now.
    public func record(_ stage: String, since start: ContinuousClock.Instant) {
        let d = ContinuousClock.now - start
        timings.append((stage, Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15))
    }

    private func timed<T>(_ stage: String, _ body: () throws(RemoteError) -> T) throws(RemoteError) -> T {
        let start = ContinuousClock.now
        defer { record(stage, since: start) }
        return try body()
    }

    // MARK: agents

    /// `GET /api/v1/snapshot`.
    public func snapshot(_ address: HTTPAddress) throws(RemoteError) -> DiagSnapshot {
        let path = "/api/v1/snapshot"
        let result = try fetcher.get(address, path)
        try check(result, url: address.url(path), agent: true)
        return try AgentAPIParser.snapshot(result.body, url: address.url(path))
    }

    /// `GET /api/v1/fdb?mac=...`.
    public func fdb(_ address: HTTPAddress, macs: [String]) throws(RemoteError) -> FDBLookup {
        let path = "/api/v1/fdb?mac=" + macs.map(PrometheusAPIParser.formEncoded).joined(separator: ",")
        let result = try fetcher.get(address, path)
        try check(result, url: address.url(path), agent: true)
        return try AgentAPIParser.fdb(result.body, url: address.url(path))
    }

    private func check(_ r: HTTPResult, url: String, agent: Bool) throws(RemoteError) {
        switch r.status {
        case 200: return
        case 401, 403: throw .unauthorized(url: url, status: r.status)
        case 404 where agent:
            throw .noAgentAPI(url: url, why: AgentAPIParser.errorMessage(r.body) ?? "HTTP 404")
        default:
            let text = AgentAPIParser.errorMessage(r.body) ?? String(decoding: r.body.prefix(200), as: UTF8.self)
            throw .httpStatus(url: url, status: r.status, body: text.trimmingTrailingNewlines())
        }
    }

    // MARK: through Prometheus

    /// The `instance` of the one host whose agent reports the VM `endpoint` (by domain,
    /// Proxmox vmid or MAC) in `kvmnet_vm_interface_info`.
    public func locate(_ endpoint: String, prometheus: HTTPAddress) throws(RemoteError) -> String {
        let q = PrometheusAPIParser.quoted(endpoint)
        var query = "kvmnet_vm_interface_info{domain=\(q)} or kvmnet_vm_interface_info{vmid=\(q)}"
        if MACAddress.parse(endpoint) != nil { query += " or kvmnet_vm_interface_info{mac=\(PrometheusAPIParser.quoted(endpoint.lowercased()))}" }
        let path = "/api/v1/query?query=" + PrometheusAPIParser.formEncoded(query)
        let result = try fetcher.get(prometheus, path)
        try check(result, url: prometheus.url(path), agent: false)
        let series = try PrometheusAPIParser.vector(result.body, url: prometheus.url("/api/v1/query"))
        let instances = Set(series.compactMap { $0["instance"] }).sorted()
        guard !instances.isEmpty else {
            throw .malformed(url: prometheus.url("/api/v1/query"), why: "no host reports a VM \(endpoint): kvmnet_vm_interface_info has no series with domain, vmid or mac \(endpoint) (is the VM running, and its host's kvmnet-agent scraped?). Name a VM by its domain, Proxmox vmid or MAC, or use --peer")
        }
        guard instances.count == 1 else {
            throw .malformed(url: prometheus.url("/api/v1/query"), why: "\(endpoint) runs on \(instances.count) hosts (\(instances.joined(separator: ", "))): name it by its MAC, or give the two hosts with --peer")
        }
        return instances[0]
    }

    /// The agent addresses of `instances`, from Prometheus' active targets.
    public func agentAddresses(_ instances: Set<String>, prometheus: HTTPAddress) throws(RemoteError) -> [String: HTTPAddress] {
        let path = "/api/v1/targets?state=active"
        let result = try fetcher.get(prometheus, path)
        try check(result, url: prometheus.url(path), agent: false)
        let targets = try PrometheusAPIParser.activeTargets(result.body, url: prometheus.url(path))
        var out: [String: HTTPAddress] = [:]
        for instance in instances {
            let matching = targets.filter { $0.instance == instance }
            guard let t = matching.first(where: { $0.health == "up" }) ?? matching.first else {
                throw .malformed(url: prometheus.url(path), why: "no active target has instance=\"\(instance)\": is its agent still in the scrape configuration? Use --peer HOST:PORT")
            }
            var address = try HTTPAddress(parsing: t.scrapeURL)
            address.basePath = ""  // the API lives at the root of the agent, whatever its telemetry path
            out[instance] = address
        }
        return out
    }

    /// Both ends through Prometheus.
    public func fetch(_ a: String, _ b: String, prometheus: HTTPAddress) throws(RemoteError) -> FleetFetch {
        let ia = try timed("locate \(a)") { () throws(RemoteError) in try locate(a, prometheus: prometheus) }
        let ib = try timed("locate \(b)") { () throws(RemoteError) in try locate(b, prometheus: prometheus) }
        let addresses = try timed("targets") { () throws(RemoteError) in try agentAddresses([ia, ib], prometheus: prometheus) }
        if ia == ib {
            let s = try timed("snapshot \(ia)") { () throws(RemoteError) in try snapshot(addresses[ia]!) }
            return .sameHost(FetchedHost(name: ia, address: addresses[ia]!, snapshot: s))
        }
        let ha = try timed("snapshot \(ia)") { () throws(RemoteError) in FetchedHost(name: ia, address: addresses[ia]!, snapshot: try snapshot(addresses[ia]!)) }
        let hb = try timed("snapshot \(ib)") { () throws(RemoteError) in FetchedHost(name: ib, address: addresses[ib]!, snapshot: try snapshot(addresses[ib]!)) }
        return halves(ha, a, hb, b)
    }

    // MARK: among peers

    /// Both ends among `peers` (each `HOST:PORT` or a URL): every peer's snapshot is
    /// fetched, and each end is looked for in each.
    public func fetch(_ a: String, _ b: String, peers: [(name: String, address: HTTPAddress)]) throws(RemoteError) -> FleetFetch {
        var hosts: [FetchedHost] = []
        for p in peers {
            hosts.append(try timed("snapshot \(p.name)") { () throws(RemoteError) in
                FetchedHost(name: p.name, address: p.address, snapshot: try snapshot(p.address))
            })
        }
        func holder(_ query: String) throws(RemoteError) -> FetchedHost {
            let found = hosts.filter {
                if case .success(let e) = EndpointResolver(snapshot: $0.snapshot).resolve(query), !e.isEmpty { return true }
                return false
            }
            guard let first = found.first else {
                throw .badAddress(query, why: "none of the peers (\(hosts.map(\.name).joined(separator: ", "))) has it")
            }
            guard found.count == 1 else {
                throw .badAddress(query, why: "found on \(found.map(\.name).joined(separator: " and ")): name it by its MAC, or give one of those peers only")
            }
            return first
        }
        let ha = try holder(a), hb = try holder(b)
        if ha.name == hb.name { return .sameHost(ha) }
        return halves(ha, a, hb, b)
    }

    /// The two halves with their FDB lookups (for both ends' MACs, on both hosts). A
    /// lookup that fails leaves that half without one and says why.
    private func halves(_ ha: FetchedHost, _ a: String, _ hb: FetchedHost, _ b: String) -> FleetFetch {
        let macs = [(ha.snapshot, a), (hb.snapshot, b)].compactMap { snapshot, query -> String? in
            if case .success(let e) = EndpointResolver(snapshot: snapshot).resolve(query) { return e.first?.mac?.lowercased() }
            return nil
        }
        func half(_ h: FetchedHost, _ query: String) -> HostHalf {
            var half = HostHalf(host: h.name, source: h.address.url("/api/v1/snapshot"), snapshot: h.snapshot, endpoint: query)
            guard !macs.isEmpty else { half.fdbUnavailable = "no MAC known for either end"; return half }
            do {
                half.fdb = try timed("fdb \(h.name)") { () throws(RemoteError) in try fdb(h.address, macs: macs) }
            } catch {
                half.fdbUnavailable = "\(error)"
            }
            return half
        }
        return .twoHosts(half(ha, a), half(hb, b))
    }
}

extension String {
    fileprivate func trimmingTrailingNewlines() -> String {
        var s = self
        while s.last == "\n" || s.last == "\r" { s.removeLast() }
        return s
    }
}
