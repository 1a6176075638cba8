/// Everything one source knows about one link at one moment: the decoded form of an
/// `RTM_NEWLINK` message, or of one `/sys/class/net/<dev>` directory.
///
/// Relations are given by index where the source speaks in indexes (netlink) and by
/// name where it speaks in names (sysfs); ``TopologyBuilder`` resolves both.
public struct LinkUpdate: Sendable, Hashable, Codable {
    public var link: Link
    /// `IFLA_MASTER`: ifindex of the bridge or bond this link is enslaved to.
    public var masterIndex: Int?
    /// `IFLA_LINK`: ifindex of the lower device (VLAN parent, veth peer in another namespace).
    public var lowerIndex: Int?
    /// Bond master attributes; ``Bond/slaves`` is filled by the builder from slave updates.
    public var bond: Bond?
    /// `IFLA_BOND_ACTIVE_SLAVE` / `IFLA_BOND_PRIMARY` as ifindexes, when given as such.
    public var bondActiveSlaveIndex: Int?
    public var bondPrimaryIndex: Int?
    /// Slave attributes when this link is a bond slave.
    public var bondSlave: BondSlave?
    /// Bridge attributes; ports and FDB are filled by the builder.
    public var bridge: Bridge?
    /// Port attributes when this link is a bridge port.
    public var bridgePort: BridgePort?
    /// VLAN attributes; ``VLANDevice/parent`` may be empty when only ``lowerIndex`` is known.
    public var vlan: VLANDevice?
    /// The link's VLANs on its bridge (a port's `bridge vlan` rows, or a bridge's own
    /// "self" rows), from the `AF_BRIDGE` link dump or notification; `nil` when unknown.
    /// ``TopologyBuilder`` puts them on ``BridgePort/vlans`` or ``Bridge/vlans``.
    public var bridgeVLANs: BridgeVLANSet?

    public init(link: Link, masterIndex: Int? = nil, lowerIndex: Int? = nil, bond: Bond? = nil,
                bondActiveSlaveIndex: Int? = nil, bondPrimaryIndex: Int? = nil,
                bondSlave: BondSlave? = nil, bridge: Bridge? = nil, bridgePort: BridgePort? = nil,
                vlan: VLANDevice? = nil, bridgeVLANs: BridgeVLANSet? = nil) {
        self.link = link
        self.masterIndex = masterIndex
        self.lowerIndex = lowerIndex
        self.bond = bond
        self.bondActiveSlaveIndex = bondActiveSlaveIndex
        self.bondPrimaryIndex = bondPrimaryIndex
        self.bondSlave = bondSlave
        self.bridge = bridge
        self.bridgePort = bridgePort
        self.vlan = vlan
        self.bridgeVLANs = bridgeVLANs
    }
}

/// One bridge forwarding database entry, compact (100,000 of them must fit in a few MB).
public struct FDBEntry: Sendable, Hashable, Codable {
    /// The 48-bit MAC in the low bits.
    public var mac: UInt64
    /// VLAN id, 0 when none.
    public var vlan: UInt16
    /// ifindex of the bridge (`NDA_MASTER`).
    public var bridgeIndex: Int32
    /// ifindex of the port (`ndm_ifindex`); the bridge's own index for entries without a port.
    public var portIndex: Int32
    public var kind: FDBEntryKind

    public init(mac: UInt64, vlan: UInt16, bridgeIndex: Int32, portIndex: Int32, kind: FDBEntryKind) {
        self.mac = mac
        self.vlan = vlan
        self.bridgeIndex = bridgeIndex
        self.portIndex = portIndex
        self.kind = kind
    }

    /// Identity of an entry within the FDB: the kernel's key (bridge, VLAN, MAC).
    public struct Key: Sendable, Hashable {
        public var mac: UInt64
        public var vlan: UInt16
        public var bridgeIndex: Int32
        public init(mac: UInt64, vlan: UInt16, bridgeIndex: Int32) {
            self.mac = mac
            self.vlan = vlan
            self.bridgeIndex = bridgeIndex
        }
    }

    public var key: Key { Key(mac: mac, vlan: vlan, bridgeIndex: bridgeIndex) }

    /// Packs six bytes into the low 48 bits.
    public static func packMAC<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
        bytes.prefix(6).reduce(0) { ($0 << 8) | UInt64($1) }
    }
}

/// A change the kernel reported, in the model's terms.
public enum TopologyChange: Sendable, Hashable {
    case linkUpdated(LinkUpdate)
    case linkRemoved(index: Int, name: String)
    case fdbAdded(FDBEntry)
    case fdbRemoved(FDBEntry)
    /// A link's bridge VLANs changed (an `AF_BRIDGE` `RTM_NEWLINK`, which the kernel sends
    /// with the link's whole list after every `bridge vlan add/del`): the whole set as it
    /// is now. `nil` when the message carried no VLAN entry (the kernel sends none for a
    /// port without VLANs, and none at all without `CONFIG_BRIDGE_VLAN_FILTERING`: the
    /// state makes it an empty set on a VLAN-filtering bridge, unknown elsewhere) or the
    /// port left its bridge (`AF_BRIDGE` `RTM_DELLINK`).
    case bridgeVLANsUpdated(index: Int, name: String, vlans: BridgeVLANSet?)
}

/// A complete read of the host: every link and every bridge FDB entry.
public struct FullDump: Sendable, Hashable, Codable {
    public var links: [LinkUpdate]
    public var fdb: [FDBEntry]
    public init(links: [LinkUpdate] = [], fdb: [FDBEntry] = []) {
        self.links = links
        self.fdb = fdb
    }
}
