/// Bonding mode, named as the kernel's `bonding/mode` sysfs file and iproute2 name it.
public enum BondMode: String, Sendable, Hashable, Codable, CaseIterable {
    case balanceRR = "balance-rr"
    case activeBackup = "active-backup"
    case balanceXOR = "balance-xor"
    case broadcast = "broadcast"
    case ieee8023ad = "802.3ad"
    case balanceTLB = "balance-tlb"
    case balanceALB = "balance-alb"
    case unknown = "unknown"

    /// The kernel's `BOND_MODE_*` number (`IFLA_BOND_MODE`).
    public init(kernelValue: UInt8) {
        switch kernelValue {
        case 0: self = .balanceRR
        case 1: self = .activeBackup
        case 2: self = .balanceXOR
        case 3: self = .broadcast
        case 4: self = .ieee8023ad
        case 5: self = .balanceTLB
        case 6: self = .balanceALB
        default: self = .unknown
        }
    }

    /// The kernel's `BOND_MODE_*` number; `nil` for ``unknown``.
    public var kernelValue: Int? {
        (0...6).first { BondMode(kernelValue: UInt8($0)) == self }
    }

    /// The text `/proc/net/bonding/<bond>` prints after `Bonding Mode: `.
    public init(procfsDescription: String) {
        switch procfsDescription {
        case "load balancing (round-robin)": self = .balanceRR
        case "fault-tolerance (active-backup)": self = .activeBackup
        case "load balancing (xor)": self = .balanceXOR
        case "fault-tolerance (broadcast)": self = .broadcast
        case "IEEE 802.3ad Dynamic link aggregation": self = .ieee8023ad
        case "transmit load balancing": self = .balanceTLB
        case "adaptive load balancing": self = .balanceALB
        default: self = .unknown
        }
    }

    /// Modes in which exactly one slave carries traffic and the kernel names it.
    public var hasActiveSlave: Bool {
        self == .activeBackup || self == .balanceTLB || self == .balanceALB
    }

    /// Modes that need a static port-channel configured on the switch.
    public var needsStaticSwitchAggregation: Bool {
        self == .balanceRR || self == .balanceXOR || self == .broadcast
    }
}

/// MII status of a bond slave (`IFLA_BOND_SLAVE_MII_STATUS`, procfs `MII Status:`).
public enum MIIStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case up
    case goingDown = "going down"
    case down
    case goingBack = "going back"
    case unknown

    public init(kernelValue: UInt8) {
        switch kernelValue {
        case 0: self = .up
        case 1: self = .goingDown
        case 2: self = .down
        case 3: self = .goingBack
        default: self = .unknown
        }
    }

    /// Whether the slave can carry traffic now (`up` or `going down`, as the kernel counts).
    public var isUp: Bool { self == .up || self == .goingDown }
}

/// The 802.3ad aggregator the bond currently transmits on.
public struct LACPAggregator: Sendable, Hashable, Codable {
    public var id: Int
    public var ports: Int
    public var actorKey: Int
    public var partnerKey: Int
    /// Partner system MAC; all zeros when no LACP partner answered.
    public var partnerMAC: String

    public init(id: Int, ports: Int, actorKey: Int, partnerKey: Int, partnerMAC: String) {
        self.id = id
        self.ports = ports
        self.actorKey = actorKey
        self.partnerKey = partnerKey
        self.partnerMAC = partnerMAC
    }

    /// A partner answered: its MAC is not 00:00:00:00:00:00.
    public var partnerPresent: Bool { !MACAddress.isZero(partnerMAC) }
}

/// 802.3ad settings and state of a bond.
public struct LACPInfo: Sendable, Hashable, Codable {
    /// `slow` or `fast`.
    public var rate: String?
    /// `stable`, `bandwidth`, `count`, ...
    public var adSelect: String?
    /// `LACP active: on|off` (5.15+); `nil` when the kernel does not say.
    public var active: Bool?
    public var systemPriority: Int?
    public var systemMAC: String?
    /// `nil` when the bond has no active aggregator, or the reader lacked CAP_NET_ADMIN.
    public var activeAggregator: LACPAggregator?
    /// False when procfs hid the aggregator block because the reader was not privileged.
    public var aggregatorVisible: Bool

    public init(
        rate: String? = nil, adSelect: String? = nil, active: Bool? = nil,
        systemPriority: Int? = nil, systemMAC: String? = nil,
        activeAggregator: LACPAggregator? = nil, aggregatorVisible: Bool = true
    ) {
        self.rate = rate
        self.adSelect = adSelect
        self.active = active
        self.systemPriority = systemPriority
        self.systemMAC = systemMAC
        self.activeAggregator = activeAggregator
        self.aggregatorVisible = aggregatorVisible
    }
}

/// Churn detection state of one side of an 802.3ad port.
public enum ChurnState: String, Sendable, Hashable, Codable {
    case monitoring, churned, none, unknown
}

/// One slave of a bond.
public struct BondSlave: Sendable, Hashable, Codable {
    public var name: String
    public var miiStatus: MIIStatus
    /// `true` when the kernel reports the slave as active (`IFLA_BOND_SLAVE_STATE` 0).
    public var isActive: Bool?
    public var speedMbps: Int?
    /// `full`, `half` or `nil` when unknown.
    public var duplex: String?
    public var linkFailureCount: UInt64
    public var permanentAddress: String?
    public var queueID: Int?
    /// 802.3ad aggregator id; `nil` when not 802.3ad or `N/A`.
    public var aggregatorID: Int?
    public var actorPortState: UInt8?
    public var partnerPortState: UInt8?
    public var actorChurnState: ChurnState?
    public var partnerChurnState: ChurnState?
    public var actorChurnedCount: UInt64?
    public var partnerChurnedCount: UInt64?
    /// Partner system MAC seen in this port's LACPDUs (procfs, CAP_NET_ADMIN only).
    public var partnerSystemMAC: String?

    public init(
        name: String, miiStatus: MIIStatus, isActive: Bool? = nil, speedMbps: Int? = nil,
        duplex: String? = nil, linkFailureCount: UInt64 = 0, permanentAddress: String? = nil,
        queueID: Int? = nil, aggregatorID: Int? = nil, actorPortState: UInt8? = nil,
        partnerPortState: UInt8? = nil, actorChurnState: ChurnState? = nil,
        partnerChurnState: ChurnState? = nil, actorChurnedCount: UInt64? = nil,
        partnerChurnedCount: UInt64? = nil, partnerSystemMAC: String? = nil
    ) {
        self.name = name
        self.miiStatus = miiStatus
        self.isActive = isActive
        self.speedMbps = speedMbps
        self.duplex = duplex
        self.linkFailureCount = linkFailureCount
        self.permanentAddress = permanentAddress
        self.queueID = queueID
        self.aggregatorID = aggregatorID
        self.actorPortState = actorPortState
        self.partnerPortState = partnerPortState
        self.actorChurnState = actorChurnState
        self.partnerChurnState = partnerChurnState
        self.actorChurnedCount = actorChurnedCount
        self.partnerChurnedCount = partnerChurnedCount
        self.partnerSystemMAC = partnerSystemMAC
    }
}

/// A bonding master and its slaves.
public struct Bond: Sendable, Hashable, Codable {
    public var name: String
    public var mode: BondMode
    /// `layer2`, `layer3+4`, ...; `nil` for modes that do not hash.
    public var xmitHashPolicy: String?
    /// The master's MII status (carrier).
    public var miiUp: Bool
    public var miimonMs: Int
    public var updelayMs: Int
    public var downdelayMs: Int
    public var arpIntervalMs: Int
    public var arpTargets: [String]
    public var primary: String?
    public var activeSlave: String?
    /// `none`, `active` or `follow` (active-backup only).
    public var failOverMAC: String?
    public var minLinks: Int?
    public var lacp: LACPInfo?
    public var slaves: [BondSlave]

    public init(
        name: String, mode: BondMode, xmitHashPolicy: String? = nil, miiUp: Bool,
        miimonMs: Int = 0, updelayMs: Int = 0, downdelayMs: Int = 0, arpIntervalMs: Int = 0,
        arpTargets: [String] = [], primary: String? = nil, activeSlave: String? = nil,
        failOverMAC: String? = nil, minLinks: Int? = nil, lacp: LACPInfo? = nil,
        slaves: [BondSlave] = []
    ) {
        self.name = name
        self.mode = mode
        self.xmitHashPolicy = xmitHashPolicy
        self.miiUp = miiUp
        self.miimonMs = miimonMs
        self.updelayMs = updelayMs
        self.downdelayMs = downdelayMs
        self.arpIntervalMs = arpIntervalMs
        self.arpTargets = arpTargets
        self.primary = primary
        self.activeSlave = activeSlave
        self.failOverMAC = failOverMAC
        self.minLinks = minLinks
        self.lacp = lacp
        self.slaves = slaves
    }

    /// Slaves whose MII status counts as up.
    public var slavesUp: Int { slaves.filter { $0.miiStatus.isUp }.count }

    public func slave(named name: String) -> BondSlave? { slaves.first { $0.name == name } }
}
