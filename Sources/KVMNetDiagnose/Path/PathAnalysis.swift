/// How two endpoints' segments relate.
public enum SegmentRelation: String, Sendable, Hashable, Codable {
    /// Both on one bridge.
    case sameBridge = "same_bridge"
    /// Different bridges whose uplinks carry the same VLAN out of the same bond or NIC.
    case sameSegment = "same_segment"
    /// Different bridges whose uplinks carry different VLANs out of the same bond or NIC,
    /// or two ports of one VLAN-aware bridge in different VLANs.
    case vlanMismatch = "vlan_mismatch"
    /// Different bridges leaving through different bonds or NICs (they may meet on the
    /// switch; the host cannot tell).
    case differentTrunks = "different_trunks"
    /// At least one bridge has no uplink: its segment ends on the host.
    case isolated
    /// At least one endpoint is on no bridge at all.
    case detached
    /// Both endpoints are the same device.
    case same
    /// A VLAN-aware bridge drops one end's frames (a port without PVID, a VLAN the port
    /// or every uplink is no member of).
    case blocked

    /// Whether L2 frames can pass between the endpoints inside the host.
    public var sharesSegment: Bool { self == .sameBridge || self == .sameSegment || self == .same }
}

/// The traced path of a diagnosis: one chain for `--external`, two for `A B`.
public struct PathAnalysis: Sendable, Hashable, Codable {
    public var from: Chain
    /// The other end; `nil` for `--external`.
    public var to: Chain?
    /// `nil` for `--external`.
    public var relation: SegmentRelation?
    /// For `--external`: the host routes A's traffic (bridge without uplink but with an address).
    public var routedByHost: Bool

    public init(from: Chain, to: Chain? = nil, relation: SegmentRelation? = nil, routedByHost: Bool = false) {
        self.from = from
        self.to = to
        self.relation = relation
        self.routedByHost = routedByHost
    }

    enum CodingKeys: String, CodingKey {
        case from, to, relation
        case routedByHost = "routed_by_host"
    }

    /// Every device the frames between the ends pass, for matching findings: both chains
    /// whole, but only up to the bridge when both ends are on one bridge (what lies below
    /// it, a dead bond under `br1`, does not keep two VMs of `brvlan-10` apart).
    public var devices: Set<String> {
        if let to, let shared = from.bridge, shared == to.bridge {
            return from.devices(upTo: shared).union(to.devices(upTo: shared))
        }
        return from.devices.union(to?.devices ?? [])
    }
}
