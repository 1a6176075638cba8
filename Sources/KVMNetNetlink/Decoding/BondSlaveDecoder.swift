import CNetlink
import KVMNetModel

/// Decodes a bond slave's `IFLA_INFO_SLAVE_DATA` (`IFLA_BOND_SLAVE_*`, kernel
/// `bond_fill_slave_info`). Speed, duplex and churn are not in netlink (procfs fills them).
enum BondSlaveDecoder {
    static func decode(_ t: AttributeTable, name: String) throws(NetlinkDecodeError) -> BondSlave {
        var s = BondSlave(
            name: name,
            miiStatus: try t.u8(BondSlaveAttr.miiStatus, "IFLA_BOND_SLAVE_MII_STATUS").map(MIIStatus.init(kernelValue:)) ?? .unknown
        )
        // BOND_STATE_ACTIVE = 0, BOND_STATE_BACKUP = 1.
        s.isActive = try t.u8(BondSlaveAttr.state, "IFLA_BOND_SLAVE_STATE").map { $0 == 0 }
        s.linkFailureCount = try t.u32(BondSlaveAttr.linkFailureCount, "IFLA_BOND_SLAVE_LINK_FAILURE_COUNT").map(UInt64.init) ?? 0
        s.permanentAddress = try t.bytes(BondSlaveAttr.permHWAddr, "IFLA_BOND_SLAVE_PERM_HWADDR")
            .flatMap { $0.isEmpty ? nil : MACAddress.format($0) }
        s.queueID = try t.u16(BondSlaveAttr.queueID, "IFLA_BOND_SLAVE_QUEUE_ID").map { Int($0) }
        s.aggregatorID = try t.u16(BondSlaveAttr.adAggregatorID, "IFLA_BOND_SLAVE_AD_AGGREGATOR_ID").map { Int($0) }
        s.actorPortState = try t.u8(BondSlaveAttr.adActorOperPortState, "IFLA_BOND_SLAVE_AD_ACTOR_OPER_PORT_STATE")
        // Sent as u16 although the LACP state is one byte.
        if let p = try t.u16(BondSlaveAttr.adPartnerOperPortState, "IFLA_BOND_SLAVE_AD_PARTNER_OPER_PORT_STATE") {
            guard p <= UInt16(UInt8.max) else {
                throw .invalidValue(attribute: "IFLA_BOND_SLAVE_AD_PARTNER_OPER_PORT_STATE", detail: "\(p) is not a LACP state byte")
            }
            s.partnerPortState = UInt8(p)
        }
        return s
    }
}
