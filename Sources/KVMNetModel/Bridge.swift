/// STP state of a bridge port, with the kernel's numbering (`BR_STATE_*`).
public enum BridgePortState: Int, Sendable, Hashable, Codable, CaseIterable {
    case disabled = 0
    case listening = 1
    case learning = 2
    case forwarding = 3
    case blocking = 4

    public var name: String {
        switch self {
        case .disabled: return "disabled"
        case .listening: return "listening"
        case .learning: return "learning"
        case .forwarding: return "forwarding"
        case .blocking: return "blocking"
        }
    }
}

/// One port of a bridge.
public struct BridgePort: Sendable, Hashable, Codable {
    public var name: String
    public var state: BridgePortState
    public var pathCost: Int?
    public var priority: Int?
    /// Port number (`brport/port_no`), which `brforward` entries refer to.
    public var portNumber: Int?
    /// The port's VLANs on a bridge (its `bridge vlan` rows); `nil` when the source has no
    /// per-port VLAN list (sysfs) or the kernel sent none.
    public var vlans: BridgeVLANSet?

    public init(name: String, state: BridgePortState, pathCost: Int? = nil,
                priority: Int? = nil, portNumber: Int? = nil, vlans: BridgeVLANSet? = nil) {
        self.name = name
        self.state = state
        self.pathCost = pathCost
        self.priority = priority
        self.portNumber = portNumber
        self.vlans = vlans
    }
}

/// What kind of forwarding database entry, as iproute2's `bridge fdb show` tells them apart.
public enum FDBEntryKind: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// Learned from traffic (NUD_REACHABLE or NUD_STALE).
    case learned
    /// Added by an administrator (NUD_NOARP without NUD_PERMANENT).
    case `static`
    /// The bridge's or a port's own address (NUD_PERMANENT).
    case local

    public static func < (lhs: FDBEntryKind, rhs: FDBEntryKind) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Entry counts of a bridge's forwarding database, per port and kind. Never per MAC.
public struct FDBSummary: Sendable, Hashable, Codable {
    /// A (port, kind) pair. `port` is the bridge's own name for entries without a port.
    public struct Key: Sendable, Hashable, Codable, Comparable {
        public var port: String
        public var kind: FDBEntryKind
        public init(port: String, kind: FDBEntryKind) {
            self.port = port
            self.kind = kind
        }
        public static func < (lhs: Key, rhs: Key) -> Bool {
            (lhs.port, lhs.kind) < (rhs.port, rhs.kind)
        }
    }

    public var counts: [Key: Int]

    public init(counts: [Key: Int] = [:]) { self.counts = counts }

    public var total: Int { counts.values.reduce(0, +) }

    public mutating func add(port: String, kind: FDBEntryKind, count: Int = 1) {
        counts[Key(port: port, kind: kind), default: 0] += count
        if counts[Key(port: port, kind: kind)] == 0 { counts[Key(port: port, kind: kind)] = nil }
    }
}

/// A Linux bridge.
public struct Bridge: Sendable, Hashable, Codable {
    public var name: String
    public var stpEnabled: Bool
    /// Ageing time in seconds.
    public var ageingTimeSeconds: Double?
    /// Forward delay in seconds.
    public var forwardDelaySeconds: Double?
    /// `IFLA_BR_VLAN_FILTERING`: whether the bridge forwards by VLAN (a VLAN-aware bridge).
    public var vlanFiltering: Bool?
    /// `IFLA_BR_VLAN_PROTOCOL`: the tag a VLAN-aware bridge speaks.
    public var vlanProtocol: VLANProtocol?
    /// `IFLA_BR_VLAN_DEFAULT_PVID`: the PVID a new port gets (0: none).
    public var defaultPVID: Int?
    /// The VLANs of the bridge device itself (`bridge vlan ... self`): what reaches the
    /// host's own stack on the bridge and its VLAN devices. `nil` when unknown.
    public var vlans: BridgeVLANSet?
    public var ports: [BridgePort]
    /// `nil` when the FDB could not be read.
    public var fdb: FDBSummary?

    public init(name: String, stpEnabled: Bool, ageingTimeSeconds: Double? = nil,
                forwardDelaySeconds: Double? = nil, vlanFiltering: Bool? = nil,
                vlanProtocol: VLANProtocol? = nil, defaultPVID: Int? = nil, vlans: BridgeVLANSet? = nil,
                ports: [BridgePort] = [], fdb: FDBSummary? = nil) {
        self.name = name
        self.stpEnabled = stpEnabled
        self.ageingTimeSeconds = ageingTimeSeconds
        self.forwardDelaySeconds = forwardDelaySeconds
        self.vlanFiltering = vlanFiltering
        self.vlanProtocol = vlanProtocol
        self.defaultPVID = defaultPVID
        self.vlans = vlans
        self.ports = ports
        self.fdb = fdb
    }

    /// Whether the bridge filters by VLAN (`vlan_filtering 1`). Its ports' lists may still
    /// be unknown (`nil`, from sysfs): `bridge.vlan_data_missing` says so.
    public var vlanAware: Bool { vlanFiltering == true }

    public func port(named name: String) -> BridgePort? { ports.first { $0.name == name } }
}
