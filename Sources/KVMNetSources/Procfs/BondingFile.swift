import KVMNetModel

/// The parsed content of `/proc/net/bonding/<bond>`.
///
/// `bond` holds everything the model has a field for; the other properties keep what
/// procfs prints beyond the model (or what the parser did not recognise).
public struct BondingFile: Sendable, Hashable {
    /// A line the parser did not recognise, kept as it was split (never an error).
    public struct KeyValue: Sendable, Hashable, CustomStringConvertible {
        /// Text before the first `": "` (or the whole line, for a bare line), trimmed.
        public var key: String
        /// Text after the first `": "`, trimmed; empty for a bare line or `Key:`.
        public var value: String
        /// The slave block the line was in; `nil` for the bond's own lines.
        public var slave: String?

        public init(key: String, value: String, slave: String? = nil) {
            self.key = key
            self.value = value
            self.slave = slave
        }

        public var description: String {
            let prefix = slave.map { "[\($0)] " } ?? ""
            return "\(prefix)\(key): \(value)"
        }
    }

    /// One `details actor lacp pdu:` / `details partner lacp pdu:` block of a slave
    /// (printed only to readers with CAP_NET_ADMIN, RHEL7.9 / 4.4+).
    public struct LACPDU: Sendable, Hashable {
        public var systemPriority: Int?
        /// Lower-case `aa:bb:cc:dd:ee:ff`.
        public var systemMAC: String?
        /// `port key` (actor block) or `oper key` (partner block).
        public var key: Int?
        public var portPriority: Int?
        public var portNumber: Int?
        /// LACP state byte: 1 activity, 2 short timeout, 4 aggregating, 8 in sync,
        /// 16 collecting, 32 distributing, 64 defaulted, 128 expired.
        public var portState: UInt8?

        public init(
            systemPriority: Int? = nil, systemMAC: String? = nil, key: Int? = nil,
            portPriority: Int? = nil, portNumber: Int? = nil, portState: UInt8? = nil
        ) {
            self.systemPriority = systemPriority
            self.systemMAC = systemMAC
            self.key = key
            self.portPriority = portPriority
            self.portNumber = portNumber
            self.portState = portState
        }
    }

    /// Both LACPDU detail blocks of one slave.
    public struct SlaveLACPDetails: Sendable, Hashable {
        public var actor: LACPDU?
        public var partner: LACPDU?

        public init(actor: LACPDU? = nil, partner: LACPDU? = nil) {
            self.actor = actor
            self.partner = partner
        }
    }

    /// `v3.7.1 (April 27, 2011)`, `v6.1.0-18-amd64`, ...; `nil` when the line is missing.
    public var driverVersion: String?
    /// The bond, with every field procfs gives.
    public var bond: Bond
    /// `always`, `better` or `failure`; printed only when a primary slave is set.
    public var primaryReselect: String?
    /// `Peer Notification Delay (ms)` (5.3+, RHEL8.3+); `nil` when absent.
    public var peerNotificationDelayMs: Int?
    /// `ARP Missed Max` (5.17+, 5.15.116+); `nil` when absent.
    public var arpMissedMax: Int?
    /// `NS IPv6 target/s` (5.19+), as printed (compressed IPv6 text).
    public var nsTargets: [String]
    /// The file said `bond <name> has no active aggregator` (802.3ad, CAP_NET_ADMIN readers).
    public var hasNoActiveAggregator: Bool
    /// Lines the parser did not recognise (vendor keys, injected lines), in file order.
    public var unknownLines: [KeyValue]
    /// LACPDU detail blocks by slave name; empty without CAP_NET_ADMIN or before RHEL7.9/4.4.
    public var lacpDetails: [String: SlaveLACPDetails]

    public init(
        driverVersion: String? = nil, bond: Bond, primaryReselect: String? = nil,
        peerNotificationDelayMs: Int? = nil, arpMissedMax: Int? = nil, nsTargets: [String] = [],
        hasNoActiveAggregator: Bool = false, unknownLines: [KeyValue] = [],
        lacpDetails: [String: SlaveLACPDetails] = [:]
    ) {
        self.driverVersion = driverVersion
        self.bond = bond
        self.primaryReselect = primaryReselect
        self.peerNotificationDelayMs = peerNotificationDelayMs
        self.arpMissedMax = arpMissedMax
        self.nsTargets = nsTargets
        self.hasNoActiveAggregator = hasNoActiveAggregator
        self.unknownLines = unknownLines
        self.lacpDetails = lacpDetails
    }
}
