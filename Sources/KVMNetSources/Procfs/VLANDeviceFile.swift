/// One entry of a VLAN device's egress map: skb priority -> 802.1p bits of the tag (`vlan_qos`).
public struct EgressMapping: Sendable, Hashable {
    public var skbPriority: UInt32
    /// The 802.1p priority (PCP, 0-7) put in the tag: the kernel prints `(vlan_qos >> 13) & 7`.
    public var vlanQoS: UInt32

    public init(skbPriority: UInt32, vlanQoS: UInt32) {
        self.skbPriority = skbPriority
        self.vlanQoS = vlanQoS
    }
}

/// The parsed content of `/proc/net/vlan/<dev>` (mode 0600: root only).
public struct VLANDeviceFile: Sendable, Hashable {
    public var device: String
    public var id: Int
    /// `REORDER_HDR: 1`.
    public var reorderHeader: Bool
    /// `dev->priv_flags`, printed in hex (`%hx` up to 5.15, `%llx` in 6.1-6.8, `%x` in 6.16+).
    public var privFlags: UInt64
    public var receivedFrames: UInt64
    public var receivedBytes: UInt64
    /// `Broadcast/Multicast Rcvd`.
    public var receivedMulticast: UInt64
    public var transmittedFrames: UInt64
    public var transmittedBytes: UInt64
    /// `Device: <real device>`.
    public var parent: String
    /// `INGRESS priority mappings`: index = 802.1p PCP (0-7), value = skb priority. Always 8 entries.
    public var ingressPriorityMap: [UInt32]
    /// `EGRESS priority mappings`, in file order; empty when none is set.
    public var egressPriorityMap: [EgressMapping]
    /// Counter lines the parser does not map, by label (2.6-era `total headroom inc`,
    /// `total encap on xmit`, vendor additions).
    public var extraCounters: [String: UInt64]

    public init(
        device: String, id: Int, reorderHeader: Bool, privFlags: UInt64,
        receivedFrames: UInt64, receivedBytes: UInt64, receivedMulticast: UInt64,
        transmittedFrames: UInt64, transmittedBytes: UInt64, parent: String,
        ingressPriorityMap: [UInt32], egressPriorityMap: [EgressMapping] = [],
        extraCounters: [String: UInt64] = [:]
    ) {
        self.device = device
        self.id = id
        self.reorderHeader = reorderHeader
        self.privFlags = privFlags
        self.receivedFrames = receivedFrames
        self.receivedBytes = receivedBytes
        self.receivedMulticast = receivedMulticast
        self.transmittedFrames = transmittedFrames
        self.transmittedBytes = transmittedBytes
        self.parent = parent
        self.ingressPriorityMap = ingressPriorityMap
        self.egressPriorityMap = egressPriorityMap
        self.extraCounters = extraCounters
    }
}
