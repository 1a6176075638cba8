import CNetlink
import KVMNetModel

/// Decodes a VLAN device's `IFLA_INFO_DATA` (`IFLA_VLAN_*`). The parent comes from
/// `IFLA_LINK` (``LinkUpdate/lowerIndex``), resolved by ``TopologyBuilder``.
enum VLANDecoder {
    static func decode(_ t: AttributeTable, name: String) throws(NetlinkDecodeError) -> VLANDevice {
        guard let id = try t.u16(VLANAttr.id, "IFLA_VLAN_ID") else { throw .missingAttribute("IFLA_VLAN_ID") }
        let proto = try t.be16(VLANAttr.proto, "IFLA_VLAN_PROTOCOL").map(protocolName)
        return VLANDevice(name: name, id: Int(id), parent: "", proto: proto)
    }

    /// `802.1Q` / `802.1ad` as iproute2 prints them; other ethertypes in hex.
    static func protocolName(_ ethertype: UInt16) -> String {
        switch ethertype {
        case KernelValue.ethP8021Q: return "802.1Q"
        case KernelValue.ethP8021AD: return "802.1ad"
        default: return "0x" + String(ethertype, radix: 16)
        }
    }
}
