/// Assembles netlink messages attribute by attribute, with the kernel's uapi numbers
/// written out at the call site, to test what the real kernel cannot produce here
/// (bond, VLAN) and what it never produces (garbled messages).
struct Attr {
    var type: UInt16
    var payload: [UInt8]

    /// The attribute as on the wire: `nla_len`, `nla_type`, payload, padding to 4 bytes.
    var encoded: [UInt8] {
        let len = UInt16(4 + payload.count)
        var out = le(len) + le(type) + payload
        while out.count % 4 != 0 { out.append(0) }
        return out
    }

    static func u8(_ type: UInt16, _ v: UInt8) -> Attr { Attr(type: type, payload: [v]) }
    static func u16(_ type: UInt16, _ v: UInt16) -> Attr { Attr(type: type, payload: le(v)) }
    static func be16(_ type: UInt16, _ v: UInt16) -> Attr { Attr(type: type, payload: [UInt8(v >> 8), UInt8(v & 0xff)]) }
    static func u32(_ type: UInt16, _ v: UInt32) -> Attr { Attr(type: type, payload: le(v)) }
    static func s32(_ type: UInt16, _ v: Int32) -> Attr { Attr(type: type, payload: le(UInt32(bitPattern: v))) }
    static func string(_ type: UInt16, _ s: String) -> Attr { Attr(type: type, payload: Array(s.utf8) + [0]) }
    static func bytes(_ type: UInt16, _ b: [UInt8]) -> Attr { Attr(type: type, payload: b) }
    static func mac(_ type: UInt16, _ text: String) -> Attr {
        Attr(type: type, payload: text.split(separator: ":").compactMap { UInt8($0, radix: 16) })
    }
    /// A nest; the kernel sets no `NLA_F_NESTED` on rtnetlink link attributes.
    static func nested(_ type: UInt16, _ children: [Attr]) -> Attr {
        Attr(type: type, payload: children.flatMap(\.encoded))
    }
}

/// Little-endian (host order on x86_64 and aarch64) bytes of an integer.
func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] {
    withUnsafeBytes(of: v.littleEndian) { Array($0) }
}

enum MessageBuilder {
    /// `nlmsghdr` + family header + attributes.
    static func message(type: UInt16, flags: UInt16 = 0, header: [UInt8], attributes: [Attr]) -> [UInt8] {
        var body = header
        while body.count % 4 != 0 { body.append(0) }
        body += attributes.flatMap(\.encoded)
        let len = UInt32(16 + body.count)
        return le(len) + le(type) + le(flags) + le(UInt32(0)) + le(UInt32(0)) + body
    }

    /// `struct ifinfomsg` (16 bytes). `type` 1 is `ARPHRD_ETHER`.
    static func ifinfomsg(family: UInt8 = 0, type: UInt16 = 1, index: Int32, flags: UInt32, change: UInt32 = 0) -> [UInt8] {
        [family, 0] + le(type) + le(UInt32(bitPattern: index)) + le(flags) + le(change)
    }

    /// `struct ndmsg` (12 bytes).
    static func ndmsg(family: UInt8, ifindex: Int32, state: UInt16, flags: UInt8 = 0, type: UInt8 = 0) -> [UInt8] {
        [family, 0, 0, 0] + le(UInt32(bitPattern: ifindex)) + le(state) + [flags, type]
    }

    /// `struct ifaddrmsg` (8 bytes).
    static func ifaddrmsg(family: UInt8, prefixLength: UInt8, index: UInt32) -> [UInt8] {
        [family, prefixLength, 0x80, 0] + le(index)
    }
}

/// uapi numbers used by the hand-assembled messages, spelled out independently of the
/// decoder's own table (a mismatch between the two shows up as a failing test).
enum UAPI {
    static let RTM_NEWLINK: UInt16 = 16, RTM_DELLINK: UInt16 = 17
    static let RTM_NEWADDR: UInt16 = 20
    static let RTM_NEWNEIGH: UInt16 = 28, RTM_DELNEIGH: UInt16 = 29
    static let AF_INET: UInt8 = 2, AF_BRIDGE: UInt8 = 7, AF_INET6: UInt8 = 10
    static let IFF_UP: UInt32 = 0x1, IFF_BROADCAST: UInt32 = 0x2, IFF_RUNNING: UInt32 = 0x40
    static let IFF_MULTICAST: UInt32 = 0x1000, IFF_MASTER: UInt32 = 0x400, IFF_SLAVE: UInt32 = 0x800
    static let IFF_LOWER_UP: UInt32 = 0x10000

    // IFLA_*
    static let IFLA_ADDRESS: UInt16 = 1, IFLA_BROADCAST: UInt16 = 2, IFLA_IFNAME: UInt16 = 3
    static let IFLA_MTU: UInt16 = 4, IFLA_LINK: UInt16 = 5, IFLA_QDISC: UInt16 = 6
    static let IFLA_MASTER: UInt16 = 10, IFLA_TXQLEN: UInt16 = 13, IFLA_OPERSTATE: UInt16 = 16
    static let IFLA_LINKMODE: UInt16 = 17, IFLA_LINKINFO: UInt16 = 18, IFLA_AF_SPEC: UInt16 = 26
    static let IFLA_GROUP: UInt16 = 27, IFLA_PROMISCUITY: UInt16 = 30
    static let IFLA_CARRIER: UInt16 = 33, IFLA_CARRIER_CHANGES: UInt16 = 35
    static let IFLA_LINK_NETNSID: UInt16 = 37, IFLA_PERM_ADDRESS: UInt16 = 54
    // IFLA_INFO_*
    static let IFLA_INFO_KIND: UInt16 = 1, IFLA_INFO_DATA: UInt16 = 2
    static let IFLA_INFO_SLAVE_KIND: UInt16 = 4, IFLA_INFO_SLAVE_DATA: UInt16 = 5
    // IFLA_BOND_*
    static let IFLA_BOND_MODE: UInt16 = 1, IFLA_BOND_ACTIVE_SLAVE: UInt16 = 2, IFLA_BOND_MIIMON: UInt16 = 3
    static let IFLA_BOND_UPDELAY: UInt16 = 4, IFLA_BOND_DOWNDELAY: UInt16 = 5, IFLA_BOND_USE_CARRIER: UInt16 = 6
    static let IFLA_BOND_ARP_INTERVAL: UInt16 = 7, IFLA_BOND_ARP_IP_TARGET: UInt16 = 8
    static let IFLA_BOND_ARP_VALIDATE: UInt16 = 9, IFLA_BOND_ARP_ALL_TARGETS: UInt16 = 10
    static let IFLA_BOND_PRIMARY: UInt16 = 11, IFLA_BOND_PRIMARY_RESELECT: UInt16 = 12
    static let IFLA_BOND_FAIL_OVER_MAC: UInt16 = 13, IFLA_BOND_XMIT_HASH_POLICY: UInt16 = 14
    static let IFLA_BOND_RESEND_IGMP: UInt16 = 15, IFLA_BOND_NUM_PEER_NOTIF: UInt16 = 16
    static let IFLA_BOND_ALL_SLAVES_ACTIVE: UInt16 = 17, IFLA_BOND_MIN_LINKS: UInt16 = 18
    static let IFLA_BOND_LP_INTERVAL: UInt16 = 19, IFLA_BOND_PACKETS_PER_SLAVE: UInt16 = 20
    static let IFLA_BOND_AD_LACP_RATE: UInt16 = 21, IFLA_BOND_AD_SELECT: UInt16 = 22
    static let IFLA_BOND_AD_INFO: UInt16 = 23, IFLA_BOND_AD_ACTOR_SYS_PRIO: UInt16 = 24
    static let IFLA_BOND_AD_USER_PORT_KEY: UInt16 = 25, IFLA_BOND_AD_ACTOR_SYSTEM: UInt16 = 26
    static let IFLA_BOND_TLB_DYNAMIC_LB: UInt16 = 27, IFLA_BOND_PEER_NOTIF_DELAY: UInt16 = 28
    static let IFLA_BOND_AD_LACP_ACTIVE: UInt16 = 29, IFLA_BOND_MISSED_MAX: UInt16 = 30
    // IFLA_BOND_AD_INFO_*
    static let IFLA_BOND_AD_INFO_AGGREGATOR: UInt16 = 1, IFLA_BOND_AD_INFO_NUM_PORTS: UInt16 = 2
    static let IFLA_BOND_AD_INFO_ACTOR_KEY: UInt16 = 3, IFLA_BOND_AD_INFO_PARTNER_KEY: UInt16 = 4
    static let IFLA_BOND_AD_INFO_PARTNER_MAC: UInt16 = 5
    // IFLA_BOND_SLAVE_*
    static let IFLA_BOND_SLAVE_STATE: UInt16 = 1, IFLA_BOND_SLAVE_MII_STATUS: UInt16 = 2
    static let IFLA_BOND_SLAVE_LINK_FAILURE_COUNT: UInt16 = 3, IFLA_BOND_SLAVE_PERM_HWADDR: UInt16 = 4
    static let IFLA_BOND_SLAVE_QUEUE_ID: UInt16 = 5, IFLA_BOND_SLAVE_AD_AGGREGATOR_ID: UInt16 = 6
    static let IFLA_BOND_SLAVE_AD_ACTOR_OPER_PORT_STATE: UInt16 = 7
    static let IFLA_BOND_SLAVE_AD_PARTNER_OPER_PORT_STATE: UInt16 = 8, IFLA_BOND_SLAVE_PRIO: UInt16 = 9
    // IFLA_VLAN_*
    static let IFLA_VLAN_ID: UInt16 = 1, IFLA_VLAN_FLAGS: UInt16 = 2, IFLA_VLAN_EGRESS_QOS: UInt16 = 3
    static let IFLA_VLAN_INGRESS_QOS: UInt16 = 4, IFLA_VLAN_PROTOCOL: UInt16 = 5
    // NDA_*
    static let NDA_LLADDR: UInt16 = 2, NDA_CACHEINFO: UInt16 = 3, NDA_VLAN: UInt16 = 5, NDA_MASTER: UInt16 = 9
    static let NUD_REACHABLE: UInt16 = 0x02, NUD_STALE: UInt16 = 0x04, NUD_NOARP: UInt16 = 0x40, NUD_PERMANENT: UInt16 = 0x80
    static let NTF_SELF: UInt8 = 0x02, NTF_MASTER: UInt8 = 0x04
    // IFA_*
    static let IFA_ADDRESS: UInt16 = 1, IFA_LOCAL: UInt16 = 2, IFA_LABEL: UInt16 = 3
}
