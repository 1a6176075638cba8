import KVMNetModel
import KVMNetSources

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

    /// Tap names libvirt's running domains use, and the taps of Proxmox guests' NICs.
    static func vmTargetDevices(_ facts: HostFacts) -> Set<String> {
        Set(facts.runningDomains.flatMap { $0.interfaces.compactMap(\.targetDevice) })
            .union(facts.proxmoxGuests.flatMap { guest in guest.nics.map { guest.devices($0).tap } })
    }

    /// Where a frame leaving a bridge through `port` comes out when the port is one end
    /// of a Proxmox VE firewall veth pair (`fwln100i0` on `fwbr100i0`, whose peer
    /// `fwpr100p0` is a port of the NIC's bridge): the peer and its bridge. The model keeps
    /// no veth peers, so the pair is told by Proxmox's fixed names (pve-common's
    /// `$compute_fwbr_names`); both ends must exist. Only outwards: from `fwln*`, never
    /// back from `fwpr*` into the firewall bridge.
    static func vethCrossing(_ topology: Topology, from port: String) -> (peer: String, bridge: String?)? {
        guard port.hasPrefix("fwln"), topology.links[port] != nil, let peer = ProxmoxDevices.firewallVethPeer(of: port),
              topology.links[peer] != nil else { return nil }
        return (peer, topology.bridge(containing: peer)?.name)
    }
}
