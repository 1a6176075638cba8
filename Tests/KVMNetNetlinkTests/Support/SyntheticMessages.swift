/// Hand-assembled rtnetlink messages shaped like the kernel's (`rtnl_fill_ifinfo`,
/// `bond_fill_info`, `bond_fill_slave_info`, `vlan_fill_info`, `fdb_fill_info`), for what
/// this machine's kernel cannot create: it has no bonding and no 8021q.
enum SyntheticMessages {
    typealias U = UAPI

    /// The device-level attributes every `RTM_NEWLINK` carries, in the kernel's order.
    static func linkAttributes(name: String, mtu: UInt32 = 1500, operstate: UInt8 = 6, carrier: UInt8 = 1,
                               carrierChanges: UInt32 = 1, mac: String, master: UInt32? = nil,
                               link: UInt32? = nil, linkinfo: Attr? = nil) -> [Attr] {
        var a: [Attr] = [
            .string(U.IFLA_IFNAME, name),
            .u32(U.IFLA_TXQLEN, 1000),
            .u8(U.IFLA_OPERSTATE, operstate),
            .u8(U.IFLA_LINKMODE, 0),
            .u32(U.IFLA_MTU, mtu),
            .u32(U.IFLA_GROUP, 0),
            .u32(U.IFLA_PROMISCUITY, 0),
            .u8(U.IFLA_CARRIER, carrier),
            .string(U.IFLA_QDISC, "noqueue"),
            .u32(U.IFLA_CARRIER_CHANGES, carrierChanges),
        ]
        if let master { a.append(.u32(U.IFLA_MASTER, master)) }
        if let link { a.append(.u32(U.IFLA_LINK, link)) }
        if let linkinfo { a.append(linkinfo) }
        a.append(.mac(U.IFLA_ADDRESS, mac))
        a.append(.mac(U.IFLA_BROADCAST, "ff:ff:ff:ff:ff:ff"))
        a.append(.mac(U.IFLA_PERM_ADDRESS, mac))
        // IFLA_AF_SPEC { AF_INET { IFLA_INET_CONF ... } }: nested data the decoder skips.
        a.append(.nested(U.IFLA_AF_SPEC, [.nested(2, [.bytes(1, Array(repeating: 1, count: 32))])]))
        return a
    }

    static func newLink(index: Int32, flags: UInt32, attributes: [Attr]) -> [UInt8] {
        MessageBuilder.message(type: U.RTM_NEWLINK, header: MessageBuilder.ifinfomsg(index: index, flags: flags),
                               attributes: attributes)
    }

    static let upFlags = U.IFF_UP | U.IFF_BROADCAST | U.IFF_RUNNING | U.IFF_MULTICAST | U.IFF_LOWER_UP

    /// `bond_fill_info` of a 6.1 kernel, all attributes in its order; `overrides` replace
    /// attributes of the same type, `extra` are appended.
    static func bondData(_ overrides: [Attr], extra: [Attr] = []) -> Attr {
        var base: [Attr] = [
            .u8(U.IFLA_BOND_MODE, 1),
            .u32(U.IFLA_BOND_MIIMON, 100),
            .u32(U.IFLA_BOND_UPDELAY, 0),
            .u32(U.IFLA_BOND_DOWNDELAY, 0),
            .u32(U.IFLA_BOND_PEER_NOTIF_DELAY, 0),
            .u8(U.IFLA_BOND_USE_CARRIER, 1),
            .u32(U.IFLA_BOND_ARP_INTERVAL, 0),
            .u32(U.IFLA_BOND_ARP_VALIDATE, 0),
            .u32(U.IFLA_BOND_ARP_ALL_TARGETS, 0),
            .u8(U.IFLA_BOND_PRIMARY_RESELECT, 0),
            .u8(U.IFLA_BOND_FAIL_OVER_MAC, 0),
            .u8(U.IFLA_BOND_XMIT_HASH_POLICY, 0),
            .u32(U.IFLA_BOND_RESEND_IGMP, 1),
            .u8(U.IFLA_BOND_NUM_PEER_NOTIF, 1),
            .u8(U.IFLA_BOND_ALL_SLAVES_ACTIVE, 0),
            .u32(U.IFLA_BOND_MIN_LINKS, 0),
            .u32(U.IFLA_BOND_LP_INTERVAL, 1),
            .u32(U.IFLA_BOND_PACKETS_PER_SLAVE, 1),
            .u8(U.IFLA_BOND_AD_LACP_ACTIVE, 1),
            .u8(U.IFLA_BOND_AD_LACP_RATE, 0),
            .u8(U.IFLA_BOND_AD_SELECT, 0),
            .u8(U.IFLA_BOND_TLB_DYNAMIC_LB, 1),
            .u8(U.IFLA_BOND_MISSED_MAX, 2),
            .u16(U.IFLA_BOND_AD_ACTOR_SYS_PRIO, 65535),
            .u16(U.IFLA_BOND_AD_USER_PORT_KEY, 0),
            .mac(U.IFLA_BOND_AD_ACTOR_SYSTEM, "00:00:00:00:00:00"),
        ]
        for o in overrides {
            if let i = base.firstIndex(where: { $0.type == o.type }) { base[i] = o } else { base.append(o) }
        }
        return .nested(U.IFLA_INFO_DATA, base + extra)
    }

    static func bondMaster(name: String, index: Int32, mac: String, carrier: UInt8 = 1, data: Attr) -> [UInt8] {
        newLink(index: index, flags: upFlags | U.IFF_MASTER, attributes: linkAttributes(
            name: name, operstate: carrier == 1 ? 6 : 2, carrier: carrier, mac: mac,
            linkinfo: .nested(U.IFLA_LINKINFO, [.string(U.IFLA_INFO_KIND, "bond"), data])))
    }

    /// `bond_fill_slave_info`.
    static func bondSlave(name: String, index: Int32, master: UInt32, mac: String, state: UInt8, mii: UInt8,
                          failures: UInt32, aggregator: UInt16? = nil, actorState: UInt8? = nil,
                          partnerState: UInt16? = nil) -> [UInt8] {
        var data: [Attr] = [
            .u8(U.IFLA_BOND_SLAVE_STATE, state),
            .u8(U.IFLA_BOND_SLAVE_MII_STATUS, mii),
            .u32(U.IFLA_BOND_SLAVE_LINK_FAILURE_COUNT, failures),
            .mac(U.IFLA_BOND_SLAVE_PERM_HWADDR, mac),
            .u16(U.IFLA_BOND_SLAVE_QUEUE_ID, 0),
            .s32(U.IFLA_BOND_SLAVE_PRIO, 0),
        ]
        if let aggregator { data.append(.u16(U.IFLA_BOND_SLAVE_AD_AGGREGATOR_ID, aggregator)) }
        if let actorState { data.append(.u8(U.IFLA_BOND_SLAVE_AD_ACTOR_OPER_PORT_STATE, actorState)) }
        if let partnerState { data.append(.u16(U.IFLA_BOND_SLAVE_AD_PARTNER_OPER_PORT_STATE, partnerState)) }
        let info = Attr.nested(U.IFLA_LINKINFO, [
            .string(U.IFLA_INFO_SLAVE_KIND, "bond"),
            .nested(U.IFLA_INFO_SLAVE_DATA, data),
        ])
        return newLink(index: index, flags: upFlags | U.IFF_SLAVE, attributes: linkAttributes(
            name: name, operstate: mii == 0 ? 6 : 2, carrier: mii == 0 ? 1 : 0, mac: mac, master: master, linkinfo: info))
    }

    /// `vlan_fill_info`.
    static func vlan(name: String, index: Int32, parent: UInt32, id: UInt16, proto: UInt16 = 0x8100, mac: String) -> [UInt8] {
        let info = Attr.nested(U.IFLA_LINKINFO, [
            .string(U.IFLA_INFO_KIND, "vlan"),
            .nested(U.IFLA_INFO_DATA, [
                .be16(U.IFLA_VLAN_PROTOCOL, proto),
                .u16(U.IFLA_VLAN_ID, id),
                // struct ifla_vlan_flags { flags, mask }: REORDER_HDR.
                .bytes(U.IFLA_VLAN_FLAGS, le(UInt32(1)) + le(UInt32(0xffff_ffff))),
                .nested(U.IFLA_VLAN_EGRESS_QOS, []),
            ]),
        ])
        return newLink(index: index, flags: upFlags, attributes: linkAttributes(
            name: name, mac: mac, link: parent, linkinfo: info))
    }

    /// `fdb_fill_info`: a bridge FDB entry.
    static func fdb(type: UInt16 = UAPI.RTM_NEWNEIGH, port: Int32, bridge: UInt32?, mac: String, vlan: UInt16? = nil,
                    state: UInt16, flags: UInt8 = 0) -> [UInt8] {
        var attrs: [Attr] = [.mac(U.NDA_LLADDR, mac)]
        if let bridge { attrs.append(.u32(U.NDA_MASTER, bridge)) }
        attrs.append(.bytes(U.NDA_CACHEINFO, Array(repeating: 0, count: 16)))
        if let vlan { attrs.append(.u16(U.NDA_VLAN, vlan)) }
        return MessageBuilder.message(type: type, header: MessageBuilder.ndmsg(
            family: U.AF_BRIDGE, ifindex: port, state: state, flags: flags), attributes: attrs)
    }
}
