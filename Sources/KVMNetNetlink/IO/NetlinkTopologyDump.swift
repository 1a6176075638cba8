import CNetlink
import KVMNetModel

/// A complete read of the host's links, bridge FDB and addresses over rtnetlink.
///
/// Four dumps on one socket, in this order: `RTM_GETLINK`, `RTM_GETLINK` (`AF_BRIDGE`,
/// `RTEXT_FILTER_BRVLAN_COMPRESSED`: bridge VLANs), `RTM_GETNEIGH` (`AF_BRIDGE`),
/// `RTM_GETADDR`. The read belongs to the network namespace of the calling thread.
///
/// ## Bridge VLANs
/// Each bridge port, and each bridge itself ("self"), gets ``LinkUpdate/bridgeVLANs``
/// from the `AF_BRIDGE` dump. The kernel leaves `IFLA_AF_SPEC` out both for a port with no
/// VLAN and on a kernel without `CONFIG_BRIDGE_VLAN_FILTERING`; a bridge can filter by
/// VLAN only on a kernel with it, so a port (or bridge) of a bridge whose
/// `IFLA_BR_VLAN_FILTERING` is 1 that the dump answered for without VLANs gets an empty
/// set, and every other link without VLAN entries `nil`.
///
/// ## Using it with ``NetlinkMonitor``
/// Take the dump *after* the monitor subscribed, inside
/// ``NetlinkMonitor/start(afterSubscribing:)`` and inside its `onOverrun` handler: every
/// change made after subscribing is then both in the socket's queue and possibly in the
/// dump, so none is lost between the two. Queued events older than the dump are delivered
/// after it; they are full states (an `RTM_NEWLINK` carries the whole link, an FDB message
/// the whole entry), so applying them in order ends at the kernel's state again, with
/// at worst a short detour. An FDB entry may thus be reported added by the dump and again
/// by an event: consumers key entries by ``FDBEntry/key``.
///
/// ## Devices that vanish or appear during the read
/// The three dumps are not atomic together. FDB entries whose bridge or port is not among
/// the dumped links, and addresses of such links, are left out, so that the result is
/// self-consistent; a device created in between reaches a subscribed monitor as events.
/// A dump the kernel flags as interrupted (`NLM_F_DUMP_INTR`) is repeated, up to
/// ``maxAttempts`` times over about two seconds.
public enum NetlinkTopologyDump {
    /// Attempts per dump when the kernel keeps flagging it interrupted.
    public static let maxAttempts = 15

    /// Reads everything.
    /// - Parameter onDecodeError: called for each message that does not decode; it is
    ///   skipped and the rest of the read goes on.
    public static func dump(
        onDecodeError: (NetlinkDecodeError) -> Void = { _ in }
    ) throws(NetlinkError) -> FullDump {
        let socket = try RouteSocket()
        try socket.setReceiveBufferSize(1 << 20)

        let links = try socket.dump(.links, attempts: maxAttempts, onDecodeError: onDecodeError) { m throws(NetlinkDecodeError) -> LinkUpdate? in
            guard case let .linkUpdated(u)? = try LinkMessageDecoder.change(from: m) else { return nil }
            return u
        }
        let vlans = try bridgeVLANs(socket, onDecodeError: onDecodeError)
        let fdb = try socket.dump(.fdb, attempts: maxAttempts, onDecodeError: onDecodeError) { m throws(NetlinkDecodeError) in
            try NeighbourMessageDecoder.entry(from: m)
        }
        let addresses = try socket.dump(.addresses, attempts: maxAttempts, onDecodeError: onDecodeError) { m throws(NetlinkDecodeError) in
            try AddressMessageDecoder.address(from: m)
        }
        return assemble(links: links, bridgeVLANs: vlans, fdb: fdb, addresses: addresses)
    }

    /// A link's VLANs as the `AF_BRIDGE` dump reported them.
    struct BridgeVLANEntry: Hashable {
        var index: Int
        /// `nil`: the kernel's message carried no VLAN entry.
        var vlans: BridgeVLANSet?
    }

    /// The `AF_BRIDGE` dump. A kernel that refuses it as unsupported (none of Debian's
    /// does, even without `CONFIG_BRIDGE_VLAN_FILTERING`) leaves every link's VLANs
    /// unknown rather than failing the whole read; any other failure fails it, as for
    /// the other dumps.
    static func bridgeVLANs(
        _ socket: RouteSocket, onDecodeError: (NetlinkDecodeError) -> Void
    ) throws(NetlinkError) -> [BridgeVLANEntry] {
        do {
            return try socket.dump(.bridgeVLANs, attempts: maxAttempts, onDecodeError: onDecodeError) {
                m throws(NetlinkDecodeError) -> BridgeVLANEntry? in
                guard case let .bridgeVLANsUpdated(index, _, vlans)? = try LinkMessageDecoder.change(from: m) else { return nil }
                return BridgeVLANEntry(index: index, vlans: vlans)
            }
        } catch {
            if case let .libnl(_, code, _) = error, code == NLE_OPNOTSUPP { return [] }
            throw error
        }
    }

    /// Joins the reads: VLANs and addresses go into their links, and FDB entries and
    /// addresses that refer to a link the link dump did not see are dropped.
    static func assemble(links: [LinkUpdate], bridgeVLANs: [BridgeVLANEntry] = [], fdb: [FDBEntry],
                         addresses: [InterfaceAddress]) -> FullDump {
        var position: [Int: Int] = [:]
        for (i, u) in links.enumerated() { position[u.link.index] = i }
        var links = links
        for entry in bridgeVLANs {
            guard let i = position[entry.index] else { continue }
            links[i].bridgeVLANs = entry.vlans ?? (filtersByVLAN(links[i], links, position) ? BridgeVLANSet() : nil)
        }
        for a in addresses {
            guard let i = position[a.linkIndex] else { continue }
            links[i].link.addresses.append(a.text)
        }
        let known = fdb.filter { e in
            position[Int(e.bridgeIndex)] != nil && position[Int(e.portIndex)] != nil
        }
        return FullDump(links: links, fdb: known)
    }

    /// Whether `u` is a VLAN-filtering bridge or a port of one.
    static func filtersByVLAN(_ u: LinkUpdate, _ links: [LinkUpdate], _ position: [Int: Int]) -> Bool {
        if let br = u.bridge { return br.vlanFiltering == true }
        guard let m = u.masterIndex, let i = position[m] else { return false }
        return links[i].bridge?.vlanFiltering == true
    }
}
