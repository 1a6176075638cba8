import KVMNetModel

/// What a check sees: the snapshot, the request's mode, the traced path (path and
/// external modes), thresholds, and a builder for evidence that cites sources.
public struct CheckContext: Sendable {
    public let snapshot: DiagSnapshot
    public let mode: DiagMode
    /// The traced path; `nil` in host mode.
    public let path: PathAnalysis?
    public let options: DiagOptions
    public let evidence: EvidenceBuilder
    /// What the configuration systems intend (ifcfg mapped onto the model, and the others).
    public let intended: IntendedNetwork

    public init(snapshot: DiagSnapshot, mode: DiagMode, path: PathAnalysis? = nil,
                options: DiagOptions = DiagOptions()) {
        self.snapshot = snapshot
        self.mode = mode
        self.path = path
        self.options = options
        self.evidence = EvidenceBuilder(snapshot: snapshot)
        self.intended = snapshot.facts.intended
    }

    public var topology: Topology { snapshot.topology }
    public var facts: HostFacts { snapshot.facts }

    /// Bridges by name, sorted, for stable output.
    var sortedBridges: [Bridge] { topology.bridges.values.sorted { $0.name < $1.name } }
    var sortedBonds: [Bond] { topology.bonds.values.sorted { $0.name < $1.name } }
    var sortedVLANs: [VLANDevice] { topology.vlans.values.sorted { $0.name < $1.name } }

    /// Whether a bridge port leads off the host (NIC, bond, VLAN device, VXLAN) rather
    /// than to a guest (tap, veth, a libvirt target device).
    func isUplink(_ port: String) -> Bool {
        if HostTopology.vmTargetDevices(facts).contains(port) { return false }
        return HostTopology.isUplinkKind(topology.links[port]?.kind ?? kindFromModel(port))
    }

    private func kindFromModel(_ name: String) -> LinkKind {
        if topology.vlans[name] != nil { return .vlan }
        if topology.bonds[name] != nil { return .bond }
        if topology.bridges[name] != nil { return .bridge }
        return .other
    }
}

/// Thresholds and switches of a diagnosis.
public struct DiagOptions: Sendable, Hashable, Codable {
    /// `bridge.mac_flapping` fires when a bridge saw at least this many MAC moves in the
    /// agent's window.
    public var macFlapThreshold: UInt64

    public init(macFlapThreshold: UInt64 = 10) {
        self.macFlapThreshold = macFlapThreshold
    }

    enum CodingKeys: String, CodingKey {
        case macFlapThreshold = "mac_flap_threshold"
    }
}

/// Small topology helpers shared by checks and path tracing.
enum HostTopology {
    /// Kinds that lead off the host when they are bridge ports.
    static func isUplinkKind(_ kind: LinkKind) -> Bool { kind.leadsOffHost }

    /// Tap names libvirt's running domains use.
    static func vmTargetDevices(_ facts: HostFacts) -> Set<String> {
        Set(facts.runningDomains.flatMap { $0.interfaces.compactMap(\.targetDevice) })
    }
}
