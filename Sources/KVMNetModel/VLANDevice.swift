/// An 802.1Q (or 802.1ad) VLAN device on top of a parent link.
public struct VLANDevice: Sendable, Hashable, Codable {
    public var name: String
    public var id: Int
    public var parent: String
    /// `802.1Q` or `802.1ad`; `nil` when the source does not say.
    public var proto: String?

    public init(name: String, id: Int, parent: String, proto: String? = nil) {
        self.name = name
        self.id = id
        self.parent = parent
        self.proto = proto
    }
}
