/// What kind of network device a link is.
///
/// The kind is the device's type; a link's *role* (bond slave, bridge port) is
/// given separately by ``Link/master`` and ``Link/masterKind``.
public enum LinkKind: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case physical
    case bond
    case bridge
    case vlan
    case veth
    case tap
    case tun
    case vxlan
    case dummy
    case loopback
    case other

    public static func < (lhs: LinkKind, rhs: LinkKind) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Whether a bridge port of this kind leads off the host (an uplink: NIC, bond, VLAN
    /// device, VXLAN) rather than to a guest or another local device (tap, veth, ...).
    public var leadsOffHost: Bool {
        switch self {
        case .physical, .bond, .vlan, .vxlan, .other: return true
        case .veth, .tap, .tun, .bridge, .dummy, .loopback: return false
        }
    }

    /// Maps the kernel's `IFLA_INFO_KIND` / uevent `DEVTYPE` string to a kind.
    public init(kernelKind: String?) {
        switch kernelKind {
        case "bond": self = .bond
        case "bridge": self = .bridge
        case "vlan": self = .vlan
        case "veth": self = .veth
        case "tun", "tap": self = .tap
        case "vxlan": self = .vxlan
        case "dummy": self = .dummy
        case nil, "": self = .physical
        default: self = .other
        }
    }
}

/// RFC 2863 operational state, as in `/sys/class/net/<dev>/operstate` and `IFLA_OPERSTATE`.
public enum OperState: String, Sendable, Hashable, Codable, CaseIterable {
    case unknown, notpresent, down, lowerlayerdown, testing, dormant, up

    /// The kernel's numeric IF_OPER_* value.
    public init(kernelValue: UInt8) {
        switch kernelValue {
        case 1: self = .notpresent
        case 2: self = .down
        case 3: self = .lowerlayerdown
        case 4: self = .testing
        case 5: self = .dormant
        case 6: self = .up
        default: self = .unknown
        }
    }
}

/// One network device of the host.
public struct Link: Sendable, Hashable, Codable {
    /// Interface name (`eth0`, `bond0.10`, `vnet3`).
    public var name: String
    /// Kernel interface index; 0 when unknown (never from a fixture tree without `ifindex`).
    public var index: Int
    public var kind: LinkKind
    public var operState: OperState
    /// `IFF_UP`: administratively up. `nil` when the source cannot tell.
    public var adminUp: Bool?
    /// Physical carrier; `nil` when unreadable (sysfs refuses `carrier` on a down device).
    public var carrier: Bool?
    /// Kernel's count of carrier changes (monotonic for the life of the device).
    public var carrierChanges: UInt64?
    public var mtu: Int?
    /// Hardware address, lower-case colon form.
    public var address: String?
    /// Link speed in Mbit/s; `nil` when unknown.
    public var speedMbps: Int?
    /// Name of the master device (bridge or bond) this link is enslaved to.
    public var master: String?
    /// Names of the devices below this one (`lower_*` in sysfs, `IFLA_LINK` for VLANs).
    public var lowers: [String]
    /// IPv4 and IPv6 addresses with prefix length (`10.0.0.1/24`), when known.
    public var addresses: [String]

    public init(
        name: String, index: Int = 0, kind: LinkKind, operState: OperState = .unknown,
        adminUp: Bool? = nil, carrier: Bool? = nil, carrierChanges: UInt64? = nil,
        mtu: Int? = nil, address: String? = nil, speedMbps: Int? = nil,
        master: String? = nil, lowers: [String] = [], addresses: [String] = []
    ) {
        self.name = name
        self.index = index
        self.kind = kind
        self.operState = operState
        self.adminUp = adminUp
        self.carrier = carrier
        self.carrierChanges = carrierChanges
        self.mtu = mtu
        self.address = address
        self.speedMbps = speedMbps
        self.master = master
        self.lowers = lowers
        self.addresses = addresses
    }

    /// Whether the link carries traffic: operationally up (or `unknown` with carrier, as
    /// tun/tap and loopback report).
    public var isUp: Bool {
        switch operState {
        case .up: return true
        case .unknown: return (carrier ?? false) && (adminUp ?? true)
        default: return false
        }
    }
}
