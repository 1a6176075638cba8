// Numbers from the kernel's uapi headers (linux/rtnetlink.h, if_link.h, neighbour.h,
// if_addr.h). They are ABI and never change, so they are spelled out here instead of
// taken from whatever linux-libc-dev the build machine has: the decoder then means the
// same thing on every build, and a header that lacks a newer attribute cannot break it.
// The tests check them against the installed headers where those have them.

/// rtnetlink message types (`RTM_*`).
enum RouteMessageType {
    static let newLink: UInt16 = 16
    static let delLink: UInt16 = 17
    static let getLink: UInt16 = 18
    static let newAddr: UInt16 = 20
    static let delAddr: UInt16 = 21
    static let getAddr: UInt16 = 22
    static let newNeigh: UInt16 = 28
    static let delNeigh: UInt16 = 29
    static let getNeigh: UInt16 = 30
    /// `RTM_NEWVLAN` / `RTM_DELVLAN` (5.8+, group `RTNLGRP_BRVLAN`): per-VLAN deltas of a
    /// bridge's VLAN database. Not subscribed to: the `AF_BRIDGE` `RTM_NEWLINK` that the
    /// same change sends to `RTNLGRP_LINK` carries the port's whole list.
    static let newVLAN: UInt16 = 112
    static let delVLAN: UInt16 = 113
}

/// Address families the decoder looks at.
enum AddressFamily {
    static let unspec: UInt8 = 0
    static let inet: UInt8 = 2
    static let bridge: UInt8 = 7
    static let inet6: UInt8 = 10
}

/// `IFLA_*`: top-level attributes of an `ifinfomsg`.
enum LinkAttr {
    static let address: Int32 = 1
    static let ifname: Int32 = 3
    static let mtu: Int32 = 4
    static let link: Int32 = 5
    static let master: Int32 = 10
    static let operstate: Int32 = 16
    static let linkinfo: Int32 = 18
    /// `IFLA_AF_SPEC`: in an `AF_BRIDGE` message, the `IFLA_BRIDGE_*` nest.
    static let afSpec: Int32 = 26
    static let extMask: Int32 = 29
    static let carrier: Int32 = 33
    static let carrierChanges: Int32 = 35
    static let linkNetnsID: Int32 = 37
    /// Largest type parsed into the table; higher types are skipped (unknown to us).
    static let maxParsed: Int32 = 64
}

/// `IFLA_INFO_*`: inside `IFLA_LINKINFO`.
enum LinkInfoAttr {
    static let kind: Int32 = 1
    static let data: Int32 = 2
    static let slaveKind: Int32 = 4
    static let slaveData: Int32 = 5
    static let maxParsed: Int32 = 8
}

/// `IFLA_BOND_*`: bond master `IFLA_INFO_DATA`.
enum BondAttr {
    static let mode: Int32 = 1
    static let activeSlave: Int32 = 2
    static let miimon: Int32 = 3
    static let updelay: Int32 = 4
    static let downdelay: Int32 = 5
    static let arpInterval: Int32 = 7
    static let arpIPTarget: Int32 = 8
    static let primary: Int32 = 11
    static let failOverMAC: Int32 = 13
    static let xmitHashPolicy: Int32 = 14
    static let minLinks: Int32 = 18
    static let adLACPRate: Int32 = 21
    static let adSelect: Int32 = 22
    static let adInfo: Int32 = 23
    static let adActorSysPrio: Int32 = 24
    static let adActorSystem: Int32 = 26
    static let tlbDynamicLB: Int32 = 27
    static let adLACPActive: Int32 = 29
    static let maxParsed: Int32 = 48
}

/// `IFLA_BOND_AD_INFO_*`: inside `IFLA_BOND_AD_INFO`.
enum BondADInfoAttr {
    static let aggregator: Int32 = 1
    static let numPorts: Int32 = 2
    static let actorKey: Int32 = 3
    static let partnerKey: Int32 = 4
    static let partnerMAC: Int32 = 5
    static let maxParsed: Int32 = 8
}

/// `IFLA_BOND_SLAVE_*`: bond slave `IFLA_INFO_SLAVE_DATA`.
enum BondSlaveAttr {
    static let state: Int32 = 1
    static let miiStatus: Int32 = 2
    static let linkFailureCount: Int32 = 3
    static let permHWAddr: Int32 = 4
    static let queueID: Int32 = 5
    static let adAggregatorID: Int32 = 6
    static let adActorOperPortState: Int32 = 7
    static let adPartnerOperPortState: Int32 = 8
    static let maxParsed: Int32 = 16
}

/// `IFLA_BR_*`: bridge `IFLA_INFO_DATA`.
enum BridgeAttr {
    static let forwardDelay: Int32 = 1
    static let ageingTime: Int32 = 4
    static let stpState: Int32 = 5
    static let vlanFiltering: Int32 = 7
    /// `__be16` EtherType (0x8100 / 0x88a8).
    static let vlanProtocol: Int32 = 8
    /// `u16`; 0: new ports get no PVID.
    static let vlanDefaultPVID: Int32 = 39
    static let maxParsed: Int32 = 64
}

/// `IFLA_BRIDGE_*` (linux/if_bridge.h): inside `IFLA_AF_SPEC` of an `AF_BRIDGE` link
/// message. The enum starts at 0 (`IFLA_BRIDGE_FLAGS`).
enum BridgeAFSpecAttr {
    static let flags: Int32 = 0
    static let mode: Int32 = 1
    /// `struct bridge_vlan_info { __u16 flags; __u16 vid; }`, repeated, one per entry.
    static let vlanInfo: Int32 = 2
    static let vlanTunnelInfo: Int32 = 3
}

/// `BRIDGE_VLAN_INFO_*`: `bridge_vlan_info.flags`.
enum BridgeVLANFlag {
    static let master: UInt16 = 1 << 0
    static let pvid: UInt16 = 1 << 1
    static let untagged: UInt16 = 1 << 2
    static let rangeBegin: UInt16 = 1 << 3
    static let rangeEnd: UInt16 = 1 << 4
    static let brentry: UInt16 = 1 << 5
    static let onlyOpts: UInt16 = 1 << 6
}

/// `IFLA_BRPORT_*`: bridge port `IFLA_INFO_SLAVE_DATA`.
enum BridgePortAttr {
    static let state: Int32 = 1
    static let priority: Int32 = 2
    static let cost: Int32 = 3
    static let number: Int32 = 18
    static let maxParsed: Int32 = 64
}

/// `IFLA_VLAN_*`: VLAN `IFLA_INFO_DATA`.
enum VLANAttr {
    static let id: Int32 = 1
    static let proto: Int32 = 5
    static let maxParsed: Int32 = 8
}

/// `NDA_*`: attributes of an `ndmsg`.
enum NeighAttr {
    static let lladdr: Int32 = 2
    /// `struct nda_cacheinfo`: four `__u32` in clock_t (`USER_HZ`) ticks.
    static let cacheinfo: Int32 = 3
    static let vlan: Int32 = 5
    static let master: Int32 = 9
    static let maxParsed: Int32 = 32
}

/// `IFA_*`: attributes of an `ifaddrmsg`.
enum AddrAttr {
    static let address: Int32 = 1
    static let local: Int32 = 2
    static let maxParsed: Int32 = 16
}

/// Values carried in fixed headers.
enum KernelValue {
    /// `IFF_UP` in `ifi_flags`.
    static let iffUp: UInt32 = 0x1
    /// `ARPHRD_LOOPBACK` in `ifi_type`.
    static let arphrdLoopback: UInt16 = 772
    /// `NUD_NOARP` / `NUD_PERMANENT` in `ndm_state`.
    static let nudNoARP: UInt16 = 0x40
    static let nudPermanent: UInt16 = 0x80
    /// `NTF_SELF` in `ndm_flags`.
    static let ntfSelf: UInt8 = 0x02
    /// `ETH_P_8021Q` / `ETH_P_8021AD` in `IFLA_VLAN_PROTOCOL` (network byte order on the wire).
    static let ethP8021Q: UInt16 = 0x8100
    static let ethP8021AD: UInt16 = 0x88A8
    /// `RTEXT_FILTER_SKIP_STATS` for `IFLA_EXT_MASK`: link dumps without the counters.
    static let rtextFilterSkipStats: UInt32 = 1 << 3
    /// `RTEXT_FILTER_BRVLAN_COMPRESSED` for `IFLA_EXT_MASK`: an `AF_BRIDGE` link dump with
    /// each port's VLANs, consecutive ids with the same flags as one range.
    static let rtextFilterBRVLANCompressed: UInt32 = 1 << 2
    /// `VLAN_N_VID - 2`: the highest VLAN id a bridge accepts (0 and 4095 are reserved).
    static let maxVLANID: UInt16 = 4094
    /// `USER_HZ`: bridge timers (`IFLA_BR_AGEING_TIME`, `IFLA_BR_FORWARD_DELAY`) are clock_t.
    static let userHZ: Double = 100
}
