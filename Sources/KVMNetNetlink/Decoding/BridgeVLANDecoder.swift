import CNetlink
import KVMNetModel

/// Decodes the VLANs of an `AF_BRIDGE` link message: `IFLA_AF_SPEC` holds one
/// `IFLA_BRIDGE_VLAN_INFO` (`struct bridge_vlan_info { __u16 flags; __u16 vid; }`, host
/// order) per entry. With `RTEXT_FILTER_BRVLAN_COMPRESSED` (the dump's filter, and what
/// `br_ifinfo_notify` always uses) consecutive ids with the same flags come as a
/// `RANGE_BEGIN` entry followed by a `RANGE_END` one; the PVID is always a single entry.
///
/// `BRIDGE_VLAN_INFO_MASTER`, `BRENTRY` and `ONLY_OPTS` say which table an entry belongs
/// to (the bridge device's own "self" entries are those of the bridge's own message):
/// they do not change membership and are ignored.
enum BridgeVLANDecoder {
    /// The set carried by `IFLA_AF_SPEC`; `nil` when the message has no VLAN entry at all
    /// (a port without VLANs, or a kernel built without `CONFIG_BRIDGE_VLAN_FILTERING`:
    /// the kernel then omits `IFLA_AF_SPEC`, and the two cannot be told apart here).
    static func decode(_ attrs: AttributeTable) throws(NetlinkDecodeError) -> BridgeVLANSet? {
        guard let spec = attrs.attribute(LinkAttr.afSpec) else { return nil }
        let entries = try AttributeTable.elements(of: spec, context: "IFLA_AF_SPEC")
        var infos: [(flags: UInt16, vid: UInt16)] = []
        for e in entries where Int32(nla_type(e)) == BridgeAFSpecAttr.vlanInfo {
            let len = Int(nla_len(e))
            guard len >= 4, let data = nla_data(e) else {
                throw .attributeTooShort(attribute: "IFLA_BRIDGE_VLAN_INFO", needed: 4, actual: len)
            }
            let raw = UnsafeRawPointer(data)
            infos.append((raw.loadUnaligned(as: UInt16.self), raw.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
        }
        guard !infos.isEmpty else { return nil }
        return try set(from: infos)
    }

    /// Joins the entries into a set, checking what the kernel guarantees: ids 1-4094,
    /// every `RANGE_BEGIN` closed by the next entry, a `RANGE_END`, above it; one PVID,
    /// never on a range.
    static func set(from infos: [(flags: UInt16, vid: UInt16)]) throws(NetlinkDecodeError) -> BridgeVLANSet {
        let name = "IFLA_BRIDGE_VLAN_INFO"
        var ranges: [BridgeVLANSet.Range] = []
        var pvid: Int?
        var open: (flags: UInt16, vid: UInt16)?
        for info in infos {
            guard info.vid >= 1, info.vid <= KernelValue.maxVLANID else {
                throw .invalidValue(attribute: name, detail: "vid \(info.vid) is not 1-\(KernelValue.maxVLANID)")
            }
            let begins = info.flags & BridgeVLANFlag.rangeBegin != 0
            let ends = info.flags & BridgeVLANFlag.rangeEnd != 0
            if begins && ends {
                throw .invalidValue(attribute: name, detail: "vid \(info.vid) both begins and ends a range")
            }
            if let first = open {
                guard ends else {
                    throw .invalidValue(attribute: name, detail: "range from \(first.vid) not closed by RANGE_END")
                }
                guard info.vid > first.vid else {
                    throw .invalidValue(attribute: name, detail: "range \(first.vid)-\(info.vid) ends below its start")
                }
                ranges.append(.init(first: Int(first.vid), last: Int(info.vid),
                                    untagged: first.flags & BridgeVLANFlag.untagged != 0))
                open = nil
                continue
            }
            if ends { throw .invalidValue(attribute: name, detail: "RANGE_END \(info.vid) without RANGE_BEGIN") }
            if info.flags & BridgeVLANFlag.pvid != 0 {
                if begins { throw .invalidValue(attribute: name, detail: "PVID \(info.vid) on a range") }
                if let p = pvid, p != Int(info.vid) {
                    throw .invalidValue(attribute: name, detail: "two PVIDs, \(p) and \(info.vid)")
                }
                pvid = Int(info.vid)
            }
            if begins {
                open = info
            } else {
                ranges.append(.init(vid: Int(info.vid), untagged: info.flags & BridgeVLANFlag.untagged != 0))
            }
        }
        if let first = open {
            throw .invalidValue(attribute: name, detail: "range from \(first.vid) not closed by RANGE_END")
        }
        return BridgeVLANSet(ranges: ranges, pvid: pvid)
    }
}
