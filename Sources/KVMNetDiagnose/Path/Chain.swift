/// The way from one endpoint down to where its L2 segment leaves the host:
/// endpoint -> bridge -> VLAN device(s) -> bond or NIC -> slaves.
public struct Chain: Sendable, Hashable, Codable {
    public var endpoint: Endpoint
    /// Hops in order from the endpoint outwards.
    public var hops: [Hop]
    /// The bridge the endpoint sits on, if any.
    public var bridge: String?
    /// The bridge port leading off the host, if any.
    public var uplink: String?
    /// VLAN tags added on the way down, nearest the bridge first. Empty: untagged.
    public var tags: [Int]
    /// The bond or NIC the segment leaves through; `nil` when it never leaves the host.
    public var trunk: String?

    public init(endpoint: Endpoint, hops: [Hop], bridge: String? = nil, uplink: String? = nil,
                tags: [Int] = [], trunk: String? = nil) {
        self.endpoint = endpoint
        self.hops = hops
        self.bridge = bridge
        self.uplink = uplink
        self.tags = tags
        self.trunk = trunk
    }

    /// Every device on the chain, for matching findings.
    public var devices: Set<String> {
        var out = Set(hops.flatMap(\.devices))
        if let domain = endpoint.domain { out.insert(domain) }
        return out
    }

    /// Index of the trunk's hop (the bond or NIC), if the chain reaches one.
    var trunkIndex: Int? { hops.firstIndex { $0.kind == .bond || $0.kind == .nic } }

    /// The hops above the trunk (endpoint, bridge, VLAN devices).
    var hopsAboveTrunk: [Hop] { trunkIndex.map { Array(hops[..<$0]) } ?? hops.filter { $0.kind != .slaves } }

    /// The VLAN tag the segment carries on the trunk: the outermost tag.
    public var outerTag: Int? { tags.last }
}
