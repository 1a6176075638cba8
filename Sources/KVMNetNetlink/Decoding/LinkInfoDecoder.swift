import CNetlink
import KVMNetModel

/// What `IFLA_LINKINFO` says about a link: its kind, the kind-specific settings
/// (`IFLA_INFO_DATA`) and its role under a master (`IFLA_INFO_SLAVE_DATA`).
struct DecodedLinkInfo {
    var kind: String?
    var slaveKind: String?
    var bond: DecodedBond?
    var bondSlave: BondSlave?
    var bridge: Bridge?
    var bridgePort: BridgePort?
    var vlan: VLANDevice?
}

/// A bond master's attributes plus the slaves it names by ifindex.
struct DecodedBond {
    var bond: Bond
    var activeSlaveIndex: Int?
    var primaryIndex: Int?
}

/// Decodes `IFLA_LINKINFO`. libnl 3.7 parses no bond attributes and no slave data at
/// all, so this is done here with `nla_parse_nested` for every kind the model knows.
enum LinkInfoDecoder {
    static func decode(_ attrs: AttributeTable, linkName: String) throws(NetlinkDecodeError) -> DecodedLinkInfo {
        var out = DecodedLinkInfo()
        guard let info = try attrs.nested(LinkAttr.linkinfo, "IFLA_LINKINFO", maxType: LinkInfoAttr.maxParsed) else {
            return out
        }
        out.kind = try info.string(LinkInfoAttr.kind, "IFLA_INFO_KIND").flatMap { $0.isEmpty ? nil : $0 }
        out.slaveKind = try info.string(LinkInfoAttr.slaveKind, "IFLA_INFO_SLAVE_KIND").flatMap { $0.isEmpty ? nil : $0 }

        switch out.kind {
        case "bond":
            let data = try info.nested(LinkInfoAttr.data, "IFLA_BOND", maxType: BondAttr.maxParsed)
            out.bond = try data.map { t throws(NetlinkDecodeError) in try BondDecoder.decode(t, name: linkName) }
        case "bridge":
            let data = try info.nested(LinkInfoAttr.data, "IFLA_BR", maxType: BridgeAttr.maxParsed)
            out.bridge = try data.map { t throws(NetlinkDecodeError) in try BridgeDecoder.decode(t, name: linkName) }
        case "vlan":
            let data = try info.nested(LinkInfoAttr.data, "IFLA_VLAN", maxType: VLANAttr.maxParsed)
            out.vlan = try data.map { t throws(NetlinkDecodeError) in try VLANDecoder.decode(t, name: linkName) }
        default:
            break
        }

        switch out.slaveKind {
        case "bond":
            let data = try info.nested(LinkInfoAttr.slaveData, "IFLA_BOND_SLAVE", maxType: BondSlaveAttr.maxParsed)
            out.bondSlave = try data.map { t throws(NetlinkDecodeError) in try BondSlaveDecoder.decode(t, name: linkName) }
        case "bridge":
            let data = try info.nested(LinkInfoAttr.slaveData, "IFLA_BRPORT", maxType: BridgePortAttr.maxParsed)
            out.bridgePort = try data.map { t throws(NetlinkDecodeError) in try BridgePortDecoder.decode(t, name: linkName) }
        default:
            break
        }
        return out
    }
}
