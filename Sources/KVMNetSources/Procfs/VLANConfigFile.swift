import KVMNetModel

/// One row of `/proc/net/vlan/config`: `%-15s| %d  | %s`.
public struct VLANConfigEntry: Sendable, Hashable {
    /// The VLAN device's name.
    public var device: String
    /// The VLAN id (0-4094).
    public var id: Int
    /// The real device the VLAN sits on.
    public var parent: String

    public init(device: String, id: Int, parent: String) {
        self.device = device
        self.id = id
        self.parent = parent
    }
}

/// The parsed content of `/proc/net/vlan/config` (mode 0600: root only).
public struct VLANConfigFile: Sendable, Hashable {
    /// `VLAN_NAME_TYPE_RAW_PLUS_VID_NO_PAD`, ...; only governs the legacy ioctl naming.
    public var nameType: String?
    /// `bad_proto_recvd: N` appended to the Name-Type line by very old 2.6 kernels.
    public var badProtoRecvd: UInt64?
    /// The rows, in file order (device list order up to 6.8, ifindex order in 6.19).
    public var entries: [VLANConfigEntry]

    public init(nameType: String? = nil, badProtoRecvd: UInt64? = nil, entries: [VLANConfigEntry] = []) {
        self.nameType = nameType
        self.badProtoRecvd = badProtoRecvd
        self.entries = entries
    }

    /// The rows as model values (the file does not give the protocol: `proto` is nil).
    public var vlanDevices: [VLANDevice] {
        entries.map { VLANDevice(name: $0.device, id: $0.id, parent: $0.parent) }
    }
}
