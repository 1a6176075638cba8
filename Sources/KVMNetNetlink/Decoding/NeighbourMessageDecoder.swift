import CNetlink
import KVMNetModel

/// Decodes `RTM_NEWNEIGH` / `RTM_DELNEIGH` of family `AF_BRIDGE` into bridge FDB entries.
///
/// Kept: entries of a bridge's forwarding database, recognised by `NDA_MASTER` (the kernel's
/// `br_fdb_fill_info` always sets it). Skipped (`nil`): ARP/ND neighbours (other families),
/// and the `NTF_SELF` entries without `NDA_MASTER` that list a device's own unicast and
/// multicast addresses (`ndo_dflt_fdb_dump`, vxlan, switchdev drivers). `bridge fdb show`
/// prints the kept entries with `master <bridge>`.
enum NeighbourMessageDecoder {
    static func entry(from message: MessageView) throws(NetlinkDecodeError) -> FDBEntry? {
        let ndm = try message.familyHeader(ndmsg.self)
        guard ndm.ndm_family == AddressFamily.bridge else { return nil }
        let attrs = try message.attributes(after: ndmsg.self, maxType: NeighAttr.maxParsed, context: "NDA")
        guard let master = try attrs.u32(NeighAttr.master, "NDA_MASTER"), master != 0 else { return nil }
        guard let lladdr = try attrs.bytes(NeighAttr.lladdr, "NDA_LLADDR") else { throw .missingAttribute("NDA_LLADDR") }
        guard lladdr.count >= 6 else { throw .attributeTooShort(attribute: "NDA_LLADDR", needed: 6, actual: lladdr.count) }
        guard let bridgeIndex = Int32(exactly: master) else {
            throw .invalidValue(attribute: "NDA_MASTER", detail: "\(master) is not an ifindex")
        }
        return FDBEntry(
            mac: FDBEntry.packMAC(lladdr.prefix(6)),
            vlan: try attrs.u16(NeighAttr.vlan, "NDA_VLAN") ?? 0,
            bridgeIndex: bridgeIndex,
            portIndex: ndm.ndm_ifindex,
            kind: kind(state: ndm.ndm_state)
        )
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
