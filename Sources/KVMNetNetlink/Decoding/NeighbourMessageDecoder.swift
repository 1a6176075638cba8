import CNetlink
import KVMNetModel

/// `struct nda_cacheinfo` of a bridge FDB entry (`NDA_CACHEINFO`, which the kernel's
/// `fdb_fill_info` puts in every FDB message): how long ago, in clock_t ticks (`USER_HZ`,
/// 100 per second), the entry was last refreshed and last used.
public struct FDBCacheInfo: Sendable, Hashable {
    /// `ndm_confirmed`: always 0 for bridge entries.
    public var confirmed: UInt32
    /// `ndm_used`: ticks since a frame was last forwarded to the entry's MAC.
    public var used: UInt32
    /// `ndm_updated`: ticks since a frame from the entry's MAC last refreshed it (learned
    /// entries), or since it was added or changed.
    public var updated: UInt32
    /// `ndm_refcnt`: always 0 for bridge entries.
    public var refcount: UInt32

    public init(confirmed: UInt32 = 0, used: UInt32, updated: UInt32, refcount: UInt32 = 0) {
        self.confirmed = confirmed
        self.used = used
        self.updated = updated
        self.refcount = refcount
    }

    /// `updated` in seconds.
    public var updatedSeconds: Double { Double(updated) / KernelValue.userHZ }
    /// `used` in seconds.
    public var usedSeconds: Double { Double(used) / KernelValue.userHZ }
}

/// Decodes `RTM_NEWNEIGH` / `RTM_DELNEIGH` of family `AF_BRIDGE` into bridge FDB entries.
///
/// Kept: entries of a bridge's forwarding database, recognised by `NDA_MASTER` (the kernel's
/// `br_fdb_fill_info` always sets it). Skipped (`nil`): ARP/ND neighbours (other families),
/// and the `NTF_SELF` entries without `NDA_MASTER` that list a device's own unicast and
/// multicast addresses (`ndo_dflt_fdb_dump`, vxlan, switchdev drivers). `bridge fdb show`
/// prints the kept entries with `master <bridge>`.
enum NeighbourMessageDecoder {
    static func entry(from message: MessageView) throws(NetlinkDecodeError) -> FDBEntry? {
        try entryAndCacheInfo(from: message)?.entry
    }

    /// The entry and its `NDA_CACHEINFO` (`nil` when the message has none). Dumps, events
    /// and the answer to a single get (`RTM_GETNEIGH` without `NLM_F_DUMP`) all come from
    /// `fdb_fill_info`, so every path decodes (and checks) the same attributes.
    static func entryAndCacheInfo(from message: MessageView) throws(NetlinkDecodeError) -> (entry: FDBEntry, cacheInfo: FDBCacheInfo?)? {
        let ndm = try message.familyHeader(ndmsg.self)
        guard ndm.ndm_family == AddressFamily.bridge else { return nil }
        let attrs = try message.attributes(after: ndmsg.self, maxType: NeighAttr.maxParsed, context: "NDA")
        guard let master = try attrs.u32(NeighAttr.master, "NDA_MASTER"), master != 0 else { return nil }
        guard let lladdr = try attrs.bytes(NeighAttr.lladdr, "NDA_LLADDR") else { throw .missingAttribute("NDA_LLADDR") }
        guard lladdr.count >= 6 else { throw .attributeTooShort(attribute: "NDA_LLADDR", needed: 6, actual: lladdr.count) }
        guard let bridgeIndex = Int32(exactly: master) else {
            throw .invalidValue(attribute: "NDA_MASTER", detail: "\(master) is not an ifindex")
        }
        let entry = FDBEntry(
            mac: FDBEntry.packMAC(lladdr.prefix(6)),
            vlan: try attrs.u16(NeighAttr.vlan, "NDA_VLAN") ?? 0,
            bridgeIndex: bridgeIndex,
            portIndex: ndm.ndm_ifindex,
            kind: kind(state: ndm.ndm_state)
        )
        return (entry, try cacheInfo(attrs))
    }

    /// `NDA_CACHEINFO`: four host-order `__u32` (confirmed, used, updated, refcnt).
    static func cacheInfo(_ attrs: AttributeTable) throws(NetlinkDecodeError) -> FDBCacheInfo? {
        let size = 4 * MemoryLayout<UInt32>.size
        guard let b = try attrs.bytes(NeighAttr.cacheinfo, "NDA_CACHEINFO") else { return nil }
        guard b.count >= size else { throw .attributeTooShort(attribute: "NDA_CACHEINFO", needed: size, actual: b.count) }
        func u32(_ i: Int) -> UInt32 {
            b[(4 * i)..<(4 * i + 4)].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        }
        return FDBCacheInfo(confirmed: u32(0), used: u32(1), updated: u32(2), refcount: u32(3))
    }

    /// The kernel's `fdb_to_nud`: local entries are `NUD_PERMANENT`, static ones
    /// `NUD_NOARP`, learned ones `NUD_REACHABLE` (or `NUD_STALE` once expired).
    static func kind(state: UInt16) -> FDBEntryKind {
        if state & KernelValue.nudPermanent != 0 { return .local }
        if state & KernelValue.nudNoARP != 0 { return .static }
        return .learned
    }

    /// The change an FDB message stands for; `nil` when it is not a bridge FDB entry.
    static func change(from message: MessageView) throws(NetlinkDecodeError) -> TopologyChange? {
        guard let e = try entry(from: message) else { return nil }
        return message.type == RouteMessageType.delNeigh ? .fdbRemoved(e) : .fdbAdded(e)
    }
}
