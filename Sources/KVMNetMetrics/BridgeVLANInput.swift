import KVMNetModel

/// Everything ``BridgeVLANCollector`` reads of a topology, and nothing more: the
/// collector makes its families from this value alone, so two snapshots with equal inputs
/// have byte-identical VLAN families, which is what lets ``RenderedFamilyCache`` keep them.
///
/// A link flap, an FDB change or a counter leaves it equal. It changes with a port's VLAN
/// list or PVID, the bridge's own VLANs, a bridge's `vlan_filtering`, protocol or default
/// PVID, a port joining or leaving, a bridge or port renamed, a port's kind (uplink or
/// guest), a bridge added or removed.
struct BridgeVLANInput: Equatable, Sendable {
    /// A port of a VLAN-aware bridge.
    struct Port: Equatable, Sendable {
        var name: String
        var vlans: BridgeVLANSet?
        /// Whether the port's link leads off the host (``LinkKind/leadsOffHost``): an
        /// uplink, not a guest.
        var uplink: Bool
    }

    /// One bridge; VLAN-aware ones with their own VLANs and their ports.
    struct BridgeEntry: Equatable, Sendable {
        var name: String
        var vlanFiltering: Bool?
        var vlanProtocol: VLANProtocol?
        var defaultPVID: Int?
        /// The bridge device's own ("self") VLANs; `nil` on a bridge that is not VLAN-aware.
        var selfVLANs: BridgeVLANSet?
        /// In the topology's order (by name); empty on a bridge that is not VLAN-aware.
        var ports: [Port]

        var vlanAware: Bool { vlanFiltering == true }
    }

    /// In name order.
    var bridges: [BridgeEntry]

    init(_ topology: Topology) {
        bridges = topology.bridges.values.sorted { $0.name < $1.name }.map { br in
            guard br.vlanAware else {
                return BridgeEntry(name: br.name, vlanFiltering: br.vlanFiltering, vlanProtocol: nil, defaultPVID: nil,
                                   selfVLANs: nil, ports: [])
            }
            return BridgeEntry(name: br.name, vlanFiltering: br.vlanFiltering, vlanProtocol: br.vlanProtocol,
                               defaultPVID: br.defaultPVID, selfVLANs: br.vlans,
                               ports: br.ports.map { p in
                                   Port(name: p.name, vlans: p.vlans, uplink: topology.links[p.name]?.kind.leadsOffHost ?? false)
                               })
        }
    }
}
