import KVMNetModel

/// One host's side of a diagnosis across hosts: its snapshot, fetched from its agent, and
/// where its bridges hold the two ends' MACs.
public struct HostHalf: Sendable {
    /// The host's name in sentences: its Prometheus `instance`, or the `--peer` address.
    public var host: String
    /// Where the snapshot came from (`http://10.0.0.2:9834/api/v1/snapshot`), for evidence.
    public var source: String
    public var snapshot: DiagSnapshot
    /// The endpoint as the user typed it, resolved in this snapshot.
    public var endpoint: String
    /// The answer of the agent's FDB lookup for both ends' MACs; `nil` when it could not
    /// be asked (``fdbUnavailable`` says why).
    public var fdb: FDBLookup?
    public var fdbUnavailable: String?

    public init(host: String, source: String, snapshot: DiagSnapshot, endpoint: String,
                fdb: FDBLookup? = nil, fdbUnavailable: String? = nil) {
        self.host = host
        self.source = source
        self.snapshot = snapshot
        self.endpoint = endpoint
        self.fdb = fdb
        self.fdbUnavailable = fdbUnavailable
    }
}

/// The agent's answer to `/api/v1/fdb?mac=...` (docs/api.md).
public struct FDBLookup: Sendable, Hashable, Codable {
    public var entries: [FDBLocation]
    /// False while the agent has not read the FDB: no entry then proves nothing.
    public var known: Bool
    /// More entries existed than the answer holds.
    public var truncated: Bool

    public init(entries: [FDBLocation], known: Bool = true, truncated: Bool = false) {
        self.entries = entries
        self.known = known
        self.truncated = truncated
    }

    enum CodingKeys: String, CodingKey {
        case entries
        case known = "fdb_known"
        case truncated
    }
}

/// One host's half as the report shows it (`hosts` in docs/diag-json.md).
public struct HostHalfReport: Sendable, Hashable, Codable {
    public var host: String
    public var source: String
    public var endpoint: Endpoint
    /// The bridge the endpoint is on, the port its segment leaves the bridge by, and the
    /// bond or NIC it leaves the host through.
    public var bridge: String?
    public var uplink: String?
    public var trunk: String?
    /// VLAN tags the frames carry on the wire, innermost first; empty: untagged.
    public var wireTags: [Int]
    /// The smallest MTU along the half.
    public var pathMTU: Int?
    /// The half's own outcome (its `--external` diagnosis on that host).
    public var status: ReportStatus
    public var verdict: String
    public var hops: [Hop]

    enum CodingKeys: String, CodingKey {
        case host, source, endpoint, bridge, uplink, trunk
        case wireTags = "wire_tags"
        case pathMTU = "path_mtu"
        case status, verdict, hops
    }
}
