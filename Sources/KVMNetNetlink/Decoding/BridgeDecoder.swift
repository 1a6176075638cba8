import CNetlink
import KVMNetModel

/// Decodes a bridge's `IFLA_INFO_DATA` (`IFLA_BR_*`). Ports and FDB are filled by
/// ``TopologyBuilder`` from the ports' own updates and the FDB counts.
enum BridgeDecoder {
    static func decode(_ t: AttributeTable, name: String) throws(NetlinkDecodeError) -> Bridge {
        Bridge(
            name: name,
            stpEnabled: try t.u32(BridgeAttr.stpState, "IFLA_BR_STP_STATE").map { $0 != 0 } ?? false,
            // clock_t in USER_HZ (centiseconds): 30000 is 300 s.
            ageingTimeSeconds: try t.u32(BridgeAttr.ageingTime, "IFLA_BR_AGEING_TIME").map { Double($0) / KernelValue.userHZ },
            forwardDelaySeconds: try t.u32(BridgeAttr.forwardDelay, "IFLA_BR_FORWARD_DELAY").map { Double($0) / KernelValue.userHZ },
            vlanFiltering: try t.u8(BridgeAttr.vlanFiltering, "IFLA_BR_VLAN_FILTERING").map { $0 != 0 },
            vlanProtocol: try vlanProtocol(t),
            defaultPVID: try t.u16(BridgeAttr.vlanDefaultPVID, "IFLA_BR_VLAN_DEFAULT_PVID").map { Int($0) }
        )
    }

    /// `IFLA_BR_VLAN_PROTOCOL`, a `__be16` EtherType; the kernel accepts only 802.1Q and
    /// 802.1ad (`br_vlan_set_proto`), so anything else is an error.
    static func vlanProtocol(_ t: AttributeTable) throws(NetlinkDecodeError) -> VLANProtocol? {
        guard let raw = try t.be16(BridgeAttr.vlanProtocol, "IFLA_BR_VLAN_PROTOCOL") else { return nil }
        guard let proto = VLANProtocol(etherType: raw) else {
            throw .invalidValue(attribute: "IFLA_BR_VLAN_PROTOCOL", detail: "0x" + String(raw, radix: 16) + " is not 802.1Q or 802.1ad")
        }
        return proto
    }
}

/// Decodes a bridge port's `IFLA_INFO_SLAVE_DATA` (`IFLA_BRPORT_*`).
enum BridgePortDecoder {
    static func decode(_ t: AttributeTable, name: String) throws(NetlinkDecodeError) -> BridgePort {
        let raw = try t.u8(BridgePortAttr.state, "IFLA_BRPORT_STATE")
        var state = BridgePortState.disabled
        if let raw {
            guard let s = BridgePortState(rawValue: Int(raw)) else {
                throw .invalidValue(attribute: "IFLA_BRPORT_STATE", detail: "\(raw) is not a BR_STATE_*")
            }
            state = s
        }
        return BridgePort(
            name: name,
            state: state,
            pathCost: try t.u32(BridgePortAttr.cost, "IFLA_BRPORT_COST").map { Int($0) },
            priority: try t.u16(BridgePortAttr.priority, "IFLA_BRPORT_PRIORITY").map { Int($0) },
            portNumber: try t.u16(BridgePortAttr.number, "IFLA_BRPORT_NO").map { Int($0) }
        )
    }
}
