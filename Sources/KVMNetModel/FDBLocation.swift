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
    /// Seconds since a frame from the MAC last refreshed the entry (the kernel's
    /// `ndm_updated`), for learned entries; `nil` when not known (an agent older than the
    /// field, `--no-netlink`, an entry gone before it was asked) and for local and static
    /// entries, which never age out.
    public var ageSeconds: Double?

    public init(mac: String, bridge: String, port: String, vlan: Int, kind: FDBEntryKind, ageSeconds: Double? = nil) {
        self.mac = mac
        self.bridge = bridge
        self.port = port
        self.vlan = vlan
        self.kind = kind
        self.ageSeconds = ageSeconds
    }

    enum CodingKeys: String, CodingKey {
        case mac, bridge, port, vlan, kind
        case ageSeconds = "age_seconds"
    }

    /// `age_seconds` as the API writes it: a number with two decimals, or `null` (also for
    /// a negative or non-finite value).
    public static func ageJSON(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite, seconds >= 0, seconds < 1e12 else { return "null" }
        let hundredths = Int64((seconds * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
