import CNetlink
import KVMNetModel

/// Turns raw rtnetlink messages into the model's values. Pure: bytes in, values out, no
/// socket; the monitor and the dump use the same functions on libnl's receive buffers.
///
/// Understood: `RTM_NEWLINK`/`RTM_DELLINK` of family `AF_UNSPEC` (devices), the same of
/// family `AF_BRIDGE` (a link's bridge VLANs, nothing else), and
/// `RTM_NEWNEIGH`/`RTM_DELNEIGH` of family `AF_BRIDGE` that belong to a bridge FDB.
/// Everything else (other message types, ARP/ND neighbours, device-own `NTF_SELF`
/// addresses) decodes to nothing. Unknown attributes are ignored; short or garbled ones
/// throw ``NetlinkDecodeError``.
public enum NetlinkMessageDecoder {
    /// Decodes every message in `bytes` (one or more, as one `recv` returns them).
    public static func changes(in bytes: [UInt8]) throws(NetlinkDecodeError) -> [TopologyChange] {
        try withMessages(in: bytes) { m throws(NetlinkDecodeError) in try change(from: m) }
    }

    /// Decodes exactly one message (`bytes` may carry trailing padding, not a second message).
    /// - Returns: the change, or `nil` for a message that is not about links or a bridge FDB.
    public static func change(in bytes: [UInt8]) throws(NetlinkDecodeError) -> TopologyChange? {
        try single(bytes) { m throws(NetlinkDecodeError) in try change(from: m) }
    }

    /// Decodes one `RTM_NEWLINK` of family `AF_UNSPEC`.
    /// - Returns: `nil` when the message is another type or family.
    public static func linkUpdate(in bytes: [UInt8]) throws(NetlinkDecodeError) -> LinkUpdate? {
        try single(bytes) { m throws(NetlinkDecodeError) -> LinkUpdate? in
            guard m.type == RouteMessageType.newLink else { return nil }
            let info = try m.familyHeader(ifinfomsg.self)
            guard LinkMessageDecoder.isDeviceMessage(info) else { return nil }
            return try LinkMessageDecoder.update(from: m, info: info)
        }
    }

    /// Decodes one `AF_BRIDGE` `RTM_NEWLINK`/`RTM_DELLINK`: the link's bridge VLANs (`vlans`
    /// `nil`: the message carries none, or, for `RTM_DELLINK`, the port left its bridge).
    /// - Returns: `nil` when the message is another type or family.
    public static func bridgeVLANs(in bytes: [UInt8]) throws(NetlinkDecodeError) -> (index: Int, name: String, vlans: BridgeVLANSet?)? {
        try single(bytes) { m throws(NetlinkDecodeError) -> (index: Int, name: String, vlans: BridgeVLANSet?)? in
            guard m.type == RouteMessageType.newLink || m.type == RouteMessageType.delLink else { return nil }
            let info = try m.familyHeader(ifinfomsg.self)
            guard info.ifi_family == AddressFamily.bridge,
                  case let .bridgeVLANsUpdated(index, name, vlans) = try LinkMessageDecoder.bridgeVLANChange(from: m, info: info)
            else { return nil }
            return (index, name, vlans)
        }
    }

    /// Decodes one `RTM_NEWNEIGH`/`RTM_DELNEIGH` into an FDB entry.
    /// - Returns: `nil` when it is not a bridge FDB entry (other family, `NTF_SELF` address).
    public static func fdbEntry(in bytes: [UInt8]) throws(NetlinkDecodeError) -> FDBEntry? {
        try single(bytes) { m throws(NetlinkDecodeError) -> FDBEntry? in
            guard m.type == RouteMessageType.newNeigh || m.type == RouteMessageType.delNeigh else { return nil }
            return try NeighbourMessageDecoder.entry(from: m)
        }
    }

    /// Decodes one `RTM_NEWNEIGH`/`RTM_DELNEIGH` into an FDB entry and its `NDA_CACHEINFO`
    /// (`nil` when the message carries none): the answer to an FDB get, which is what
    /// ``NetlinkFDBReader`` reads (dumps and events carry the same attribute).
    /// - Returns: `nil` when it is not a bridge FDB entry.
    public static func fdbEntryAndCacheInfo(in bytes: [UInt8]) throws(NetlinkDecodeError) -> (entry: FDBEntry, cacheInfo: FDBCacheInfo?)? {
        try single(bytes) { m throws(NetlinkDecodeError) -> (entry: FDBEntry, cacheInfo: FDBCacheInfo?)? in
            guard m.type == RouteMessageType.newNeigh || m.type == RouteMessageType.delNeigh else { return nil }
            return try NeighbourMessageDecoder.entryAndCacheInfo(from: m)
        }
    }

    /// Decodes one `RTM_NEWADDR` (IPv4 or IPv6).
    public static func address(in bytes: [UInt8]) throws(NetlinkDecodeError) -> InterfaceAddress? {
        try single(bytes) { m throws(NetlinkDecodeError) -> InterfaceAddress? in
            guard m.type == RouteMessageType.newAddr else { return nil }
            return try AddressMessageDecoder.address(from: m)
        }
    }

    // MARK: - Shared with the socket code

    /// The change one message stands for.
    static func change(from m: MessageView) throws(NetlinkDecodeError) -> TopologyChange? {
        switch m.type {
        case RouteMessageType.newLink, RouteMessageType.delLink:
            return try LinkMessageDecoder.change(from: m)
        case RouteMessageType.newNeigh, RouteMessageType.delNeigh:
            return try NeighbourMessageDecoder.change(from: m)
        default:
            return nil
        }
    }

    /// Runs `body` on the only message in `bytes`.
    static func single<R>(_ bytes: [UInt8], _ body: (MessageView) throws(NetlinkDecodeError) -> R?) throws(NetlinkDecodeError) -> R? {
        var count = 0
        let results: [R] = try withMessages(in: bytes) { m throws(NetlinkDecodeError) -> R? in
            count += 1
            guard count == 1 else { throw .invalidValue(attribute: "buffer", detail: "holds more than one message") }
            return try body(m)
        }
        return results.first
    }
}
