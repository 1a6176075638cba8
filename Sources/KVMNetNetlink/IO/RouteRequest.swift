import CNetlink
import Glibc
import KVMNetModel

/// An rtnetlink request (a dump, or a get of one object): message type, flags, family
/// header and attributes.
struct RouteRequest {
    /// For errors (`links`, `fdb`, `addresses`).
    var name: String
    var type: UInt16
    /// `NLM_F_DUMP` (`NLM_F_ROOT | NLM_F_MATCH`); libnl adds `NLM_F_REQUEST`.
    var flags: UInt16 = 0x300
    var familyHeader: [UInt8]
    var attributes: [(Int32, [UInt8])] = []

    /// Every link, without statistics (`IFLA_EXT_MASK` `RTEXT_FILTER_SKIP_STATS`, ignored by
    /// kernels that do not know it), which keeps a dump of 1,000 links small.
    static let links = linkDump("links", family: AddressFamily.unspec, extMask: KernelValue.rtextFilterSkipStats)

    /// Every bridge port and VLAN-aware bridge with its VLANs: `AF_BRIDGE` with
    /// `IFLA_EXT_MASK` `RTEXT_FILTER_BRVLAN_COMPRESSED`, as `bridge -c vlan show` asks.
    /// With the filter the kernel answers for the bridge devices too (their "self" VLANs).
    static let bridgeVLANs = linkDump("bridge vlans", family: AddressFamily.bridge,
                                      extMask: KernelValue.rtextFilterBRVLANCompressed)

    /// An `RTM_GETLINK` dump of `family` with an `IFLA_EXT_MASK`.
    static func linkDump(_ name: String, family: UInt8, extMask: UInt32) -> RouteRequest {
        var info = ifinfomsg()
        info.ifi_family = family
        return RouteRequest(name: name, type: RouteMessageType.getLink, familyHeader: bytes(of: info),
                            attributes: [(LinkAttr.extMask, bytes(of: extMask))])
    }

    /// Every bridge FDB entry (and device-own addresses, which the decoder skips): an
    /// `ndmsg` of exactly its size with family `AF_BRIDGE`, as `bridge fdb show` sends.
    static let fdb: RouteRequest = {
        var ndm = ndmsg()
        ndm.ndm_family = AddressFamily.bridge
        return RouteRequest(name: "fdb", type: RouteMessageType.getNeigh, familyHeader: bytes(of: ndm))
    }()

    /// Every IPv4 and IPv6 address.
    static let addresses: RouteRequest = {
        var ifa = ifaddrmsg()
        ifa.ifa_family = AddressFamily.unspec
        return RouteRequest(name: "addresses", type: RouteMessageType.getAddr, familyHeader: bytes(of: ifa))
    }()

    /// One link by ifindex (`RTM_GETLINK` without `NLM_F_DUMP`), without statistics.
    static func link(index: Int32) -> RouteRequest {
        var info = ifinfomsg()
        info.ifi_family = AddressFamily.unspec
        info.ifi_index = index
        return RouteRequest(
            name: "link \(index)", type: RouteMessageType.getLink, flags: 0, familyHeader: bytes(of: info),
            attributes: [(LinkAttr.extMask, bytes(of: KernelValue.rtextFilterSkipStats))])
    }

    /// One bridge FDB entry, as `bridge fdb get MAC br BRIDGE [vlan V]` asks (Linux 5.0+,
    /// `rtnl_fdb_get`): `RTM_GETNEIGH` without `NLM_F_DUMP`, an `ndmsg` of family `AF_BRIDGE`
    /// with nothing else set (`valid_fdb_get_strict` refuses a state or type, and an ifindex
    /// next to `NDA_MASTER`), `NDA_LLADDR` (exactly 6 bytes), `NDA_MASTER` (the bridge) and,
    /// for an entry in a VLAN, `NDA_VLAN`. The answer is one `RTM_NEWNEIGH` from
    /// `fdb_fill_info` (with `NDA_CACHEINFO`), or `ENOENT` when the bridge has no such entry.
    static func fdbEntry(_ key: FDBEntry.Key) -> RouteRequest {
        var ndm = ndmsg()
        ndm.ndm_family = AddressFamily.bridge
        let mac = (0..<6).map { UInt8(truncatingIfNeeded: key.mac >> (8 * (5 - $0))) }
        var attributes: [(Int32, [UInt8])] = [
            (NeighAttr.lladdr, mac),
            (NeighAttr.master, bytes(of: UInt32(bitPattern: key.bridgeIndex))),
        ]
        if key.vlan != 0 { attributes.append((NeighAttr.vlan, bytes(of: key.vlan))) }
        return RouteRequest(name: "fdb entry \(MACAddress.format(key.mac)) vlan \(key.vlan) of ifindex \(key.bridgeIndex)",
                            type: RouteMessageType.getNeigh, flags: 0, familyHeader: bytes(of: ndm), attributes: attributes)
    }

    static func bytes<T>(of value: T) -> [UInt8] {
        withUnsafeBytes(of: value) { Array($0) }
    }
}

extension RouteSocket {
    /// Runs one request (usually a dump) and returns what `decode` made of each message.
    ///
    /// A dump the kernel marks inconsistent (`NLM_F_DUMP_INTR`, libnl's `NLE_DUMP_INTR`: the
    /// table changed during the dump) is thrown away and repeated, up to `attempts` times,
    /// waiting 5 ms, 10 ms, ... (at most 200 ms) in between so that a burst can pass.
    /// A message that does not decode is passed to `onDecodeError` and skipped, so one odd
    /// device does not hide the others.
    func dump<T>(
        _ request: RouteRequest, attempts: Int = 5,
        onDecodeError: (NetlinkDecodeError) -> Void,
        decode: @escaping (MessageView) throws(NetlinkDecodeError) -> T?
    ) throws(NetlinkError) -> [T] {
        var results: [T] = []
        var errors: [NetlinkDecodeError] = []
        sink.handle = { m in
            do throws(NetlinkDecodeError) {
                if let v = try decode(m) { results.append(v) }
            } catch {
                errors.append(error)
            }
        }
        defer { sink.handle = { _ in } }

        var delay: UInt32 = 5_000
        for attempt in 0..<max(1, attempts) {
            if attempt > 0 {
                usleep(delay)
                delay = min(delay * 2, 200_000)
            }
            results.removeAll(keepingCapacity: true)
            errors.removeAll()
            try send(request)
            let rc = nl_recvmsgs_default(sock)
            if rc == -NLE_DUMP_INTR { continue }
            if rc < 0 { throw .libnl("\(request.name) dump", rc) }
            errors.forEach(onDecodeError)
            return results
        }
        throw .dumpInterrupted(request: request.name, attempts: max(1, attempts))
    }
}
