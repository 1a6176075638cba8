/// Where a bridge learned (or holds) one MAC address: one FDB entry with names instead
/// of ifindexes, as the agent's `/api/v1/fdb` lookup answers it (docs/api.md).
///
/// The FDB stays out of `/metrics` (one series per MAC would be unbounded); this is the
/// bounded way to ask "where is this MAC?" of one host.
public struct FDBLocation: Sendable, Hashable, Codable {
    /// The MAC, lower-case `aa:bb:cc:dd:ee:ff`.
    public var mac: String
    public var bridge: String
    /// The port it was learned on; the bridge's own name for entries without a port.
    public var port: String
    /// The VLAN of the entry on a VLAN-aware bridge; 0 for none.
    public var vlan: Int
    public var kind: FDBEntryKind

    public init(mac: String, bridge: String, port: String, vlan: Int, kind: FDBEntryKind) {
        self.mac = mac
        self.bridge = bridge
        self.port = port
        self.vlan = vlan
        self.kind = kind
    }
}
