import KVMNetModel

/// The way from one endpoint down to where its L2 segment leaves the host:
/// endpoint -> bridge -> VLAN device(s) -> (bridge -> VLAN device ...) -> bond or NIC -> slaves.
public struct Chain: Sendable, Hashable, Codable {
    public var endpoint: Endpoint
    /// Hops in order from the endpoint outwards.
    public var hops: [Hop]
    /// The bridge the endpoint sits on, if any.
    public var bridge: String?
    /// The bridge port leading off the host, if any.
    public var uplink: String?
    /// VLAN tags the frame carries on the wire, innermost first (pushed by VLAN devices or
    /// by a VLAN-aware bridge's tagged egress). Empty: untagged.
    public var tags: [Int]
    /// The bond or NIC the segment leaves through; `nil` when it never leaves the host.
    public var trunk: String?
    /// On a VLAN-aware bridge: the VLAN the endpoint's frames are in inside its bridge
    /// (the port's PVID for an untagged sender).
    public var bridgeVLAN: Int?
    /// Where a VLAN-aware bridge drops the endpoint's frames on the way out, if it does.
    public var blocked: VLANBlock?

    public init(endpoint: Endpoint, hops: [Hop], bridge: String? = nil, uplink: String? = nil,
                tags: [Int] = [], trunk: String? = nil, bridgeVLAN: Int? = nil, blocked: VLANBlock? = nil) {
        self.endpoint = endpoint
        self.hops = hops
        self.bridge = bridge
        self.uplink = uplink
        self.tags = tags
        self.trunk = trunk
        self.bridgeVLAN = bridgeVLAN
        self.blocked = blocked
    }

    /// Every device on the chain, for matching findings.
    public var devices: Set<String> {
        var out = Set(hops.flatMap(\.devices))
        if let domain = endpoint.domain { out.insert(domain) }
        return out
    }

    /// The hops from the endpoint up to the first hop of `bridge` (the endpoint, the
    /// bridges and veths or VLAN devices on the way, the bridge itself; the endpoint alone
    /// when the endpoint is that bridge). Slave hops are left out.
    func hops(upTo bridge: String) -> [Hop] {
        var out: [Hop] = []
        for hop in hops where hop.kind != .slaves {
            out.append(hop)
            if hop.name == bridge && (hop.kind == .bridge || hop.kind == .endpoint) { break }
        }
        return out
    }

    /// The devices of ``hops(upTo:)``, and the endpoint's domain.
    func devices(upTo bridge: String) -> Set<String> {
        var out = Set(hops(upTo: bridge).flatMap(\.devices))
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

/// Where and why a VLAN-aware bridge drops a frame (`br_allowed_ingress`,
/// `br_allowed_egress` in `net/bridge/br_vlan.c`).
public struct VLANBlock: Sendable, Hashable, Codable {
    public enum Reason: String, Sendable, Hashable, Codable {
        /// An untagged frame enters a port that has no PVID.
        case noPVID = "no_pvid"
        /// A tagged frame (from a VLAN device on the bridge) enters in a VLAN the port is no
        /// member of.
        case notOnPort = "not_on_port"
        /// No uplink port of the bridge is a member of the frame's VLAN.
        case notOnUplink = "not_on_uplink"
    }

    public var reason: Reason
    public var bridge: String
    /// The port where it happens (the ingress port; for ``Reason/notOnUplink`` the
    /// bridge itself).
    public var port: String
    /// The frame's VLAN; `nil` for ``Reason/noPVID``.
    public var vlan: Int?

    public init(reason: Reason, bridge: String, port: String, vlan: Int? = nil) {
        self.reason = reason
        self.bridge = bridge
        self.port = port
        self.vlan = vlan
    }
}
