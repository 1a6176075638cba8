/// A consistent snapshot of the host's network topology: the one model that the
/// exporter renders and the diagnosis checks.
public struct Topology: Sendable, Hashable, Codable {
    /// Every link by name.
    public var links: [String: Link]
    public var bonds: [String: Bond]
    public var bridges: [String: Bridge]
    public var vlans: [String: VLANDevice]

    public init(links: [String: Link] = [:], bonds: [String: Bond] = [:],
                bridges: [String: Bridge] = [:], vlans: [String: VLANDevice] = [:]) {
        self.links = links
        self.bonds = bonds
        self.bridges = bridges
        self.vlans = vlans
    }

    /// Links sorted by name.
    public var sortedLinks: [Link] { links.values.sorted { $0.name < $1.name } }

    /// The kind of the master of `link`, if it has one.
    public func masterKind(of link: Link) -> LinkKind? {
        guard let m = link.master else { return nil }
        return links[m]?.kind ?? (bridges[m] != nil ? .bridge : bonds[m] != nil ? .bond : nil)
    }

    /// The bridge `link` is a port of.
    public func bridge(containing link: String) -> Bridge? {
        if let m = links[link]?.master, let b = bridges[m] { return b }
        return bridges.values.first { $0.port(named: link) != nil }
    }

    /// The bond `link` is a slave of.
    public func bond(containing link: String) -> Bond? {
        if let m = links[link]?.master, let b = bonds[m] { return b }
        return bonds.values.first { $0.slave(named: link) != nil }
    }

    /// VLAN ids that reach `bridge` through VLAN-device ports, with the port's name.
    public func vlansReaching(bridge: String) -> [(vlanID: Int, port: String)] {
        guard let br = bridges[bridge] else { return [] }
        return br.ports.compactMap { p in vlans[p.name].map { ($0.id, p.name) } }
            .sorted { ($0.vlanID, $0.port) < ($1.vlanID, $1.port) }
    }

    /// The VLAN an untagged frame from `port` travels in on its bridge, and where that
    /// comes from: the port's PVID on a VLAN-aware bridge, or, on a bridge that does not
    /// filter VLANs, the one VLAN device among its ports (`brvlan-10 <- bond0.10`).
    /// `nil` when the port is on no bridge, a VLAN-aware port has no PVID (or its VLAN
    /// list is unknown), or a plain bridge has no or several VLAN-device ports.
    public func accessVLAN(ofPort port: String) -> AccessVLAN? {
        guard let br = bridge(containing: port) else { return nil }
        if br.vlanAware {
            return br.port(named: port)?.vlans?.pvid.map { AccessVLAN(id: $0, source: .pvid) }
        }
        let reaching = Set(vlansReaching(bridge: br.name).map(\.vlanID))
        guard reaching.count == 1, let id = reaching.first else { return nil }
        return AccessVLAN(id: id, source: .vlanDevice)
    }
}

/// The VLAN a bridge port's untagged frames are in: ``Topology/accessVLAN(ofPort:)``.
public struct AccessVLAN: Sendable, Hashable {
    /// Where the VLAN of a port comes from.
    public enum Source: String, Sendable, Hashable {
        /// The port's PVID on a VLAN-aware bridge.
        case pvid
        /// The one VLAN device that is a port of the same (non-filtering) bridge.
        case vlanDevice = "vlan_device"
    }

    public var id: Int
    public var source: Source

    public init(id: Int, source: Source) {
        self.id = id
        self.source = source
    }
}
