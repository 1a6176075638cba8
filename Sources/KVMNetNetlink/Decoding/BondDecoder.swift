import CNetlink
import KVMNetModel

/// Decodes a bond master's `IFLA_INFO_DATA` (`IFLA_BOND_*`, kernel `bond_fill_info`).
///
/// Fields are filled the way `/proc/net/bonding/<bond>` shows them, so that both sources
/// give equal models: the transmit hash policy only for modes that hash (xor, 802.3ad,
/// and tlb without dynamic load balancing), `fail_over_mac` only for active-backup, LACP
/// settings only for 802.3ad. `miiUp` is set by the caller from `IFLA_CARRIER`; slave
/// names (active, primary) are left to ``TopologyBuilder``, which resolves the indexes.
enum BondDecoder {
    static func decode(_ t: AttributeTable, name: String) throws(NetlinkDecodeError) -> DecodedBond {
        let mode = try t.u8(BondAttr.mode, "IFLA_BOND_MODE").map(BondMode.init(kernelValue:)) ?? .unknown
        var bond = Bond(name: name, mode: mode, miiUp: false)
        bond.miimonMs = try t.u32(BondAttr.miimon, "IFLA_BOND_MIIMON").map { Int($0) } ?? 0
        bond.updelayMs = try t.u32(BondAttr.updelay, "IFLA_BOND_UPDELAY").map { Int($0) } ?? 0
        bond.downdelayMs = try t.u32(BondAttr.downdelay, "IFLA_BOND_DOWNDELAY").map { Int($0) } ?? 0
        bond.arpIntervalMs = try t.u32(BondAttr.arpInterval, "IFLA_BOND_ARP_INTERVAL").map { Int($0) } ?? 0
        bond.arpTargets = try arpTargets(t)
        bond.minLinks = try t.u32(BondAttr.minLinks, "IFLA_BOND_MIN_LINKS").map { Int($0) }

        let tlbDynamic = try t.u8(BondAttr.tlbDynamicLB, "IFLA_BOND_TLB_DYNAMIC_LB").map { $0 != 0 } ?? true
        let hashes = mode == .balanceXOR || mode == .ieee8023ad || (mode == .balanceTLB && !tlbDynamic)
        if hashes, let p = try t.u8(BondAttr.xmitHashPolicy, "IFLA_BOND_XMIT_HASH_POLICY") {
            bond.xmitHashPolicy = xmitHashPolicyName(p)
        }
        if mode == .activeBackup, let f = try t.u8(BondAttr.failOverMAC, "IFLA_BOND_FAIL_OVER_MAC") {
            bond.failOverMAC = failOverMACName(f)
        }
        if mode == .ieee8023ad { bond.lacp = try lacp(t) }

        return DecodedBond(
            bond: bond,
            activeSlaveIndex: try t.u32(BondAttr.activeSlave, "IFLA_BOND_ACTIVE_SLAVE").flatMap { $0 == 0 ? nil : Int($0) },
            primaryIndex: try t.u32(BondAttr.primary, "IFLA_BOND_PRIMARY").flatMap { $0 == 0 ? nil : Int($0) }
        )
    }

    /// `IFLA_BOND_ARP_IP_TARGET`: a nest whose entries are typed by position (0, 1, ...),
    /// each an IPv4 address in network byte order.
    static func arpTargets(_ t: AttributeTable) throws(NetlinkDecodeError) -> [String] {
        guard let nest = t.attribute(BondAttr.arpIPTarget) else { return [] }
        var out: [String] = []
        for entry in try AttributeTable.elements(of: nest, context: "IFLA_BOND_ARP_IP_TARGET") {
            let b = AttributeTable.payload(entry)
            guard b.count >= 4 else {
                throw .attributeTooShort(attribute: "IFLA_BOND_ARP_IP_TARGET entry", needed: 4, actual: b.count)
            }
            out.append("\(b[0]).\(b[1]).\(b[2]).\(b[3])")
        }
        return out
    }

    /// 802.3ad settings and the active aggregator (`IFLA_BOND_AD_INFO`, not capability-gated).
    static func lacp(_ t: AttributeTable) throws(NetlinkDecodeError) -> LACPInfo {
        var l = LACPInfo()
        l.rate = try t.u8(BondAttr.adLACPRate, "IFLA_BOND_AD_LACP_RATE").map { $0 == 0 ? "slow" : "fast" }
        l.adSelect = try t.u8(BondAttr.adSelect, "IFLA_BOND_AD_SELECT").map(adSelectName)
        l.active = try t.u8(BondAttr.adLACPActive, "IFLA_BOND_AD_LACP_ACTIVE").map { $0 != 0 }
        l.systemPriority = try t.u16(BondAttr.adActorSysPrio, "IFLA_BOND_AD_ACTOR_SYS_PRIO").map { Int($0) }
        l.systemMAC = try mac(t, BondAttr.adActorSystem, "IFLA_BOND_AD_ACTOR_SYSTEM")
        if let info = try t.nested(BondAttr.adInfo, "IFLA_BOND_AD_INFO", maxType: BondADInfoAttr.maxParsed) {
            l.activeAggregator = LACPAggregator(
                id: try info.u16(BondADInfoAttr.aggregator, "IFLA_BOND_AD_INFO_AGGREGATOR").map { Int($0) } ?? 0,
                ports: try info.u16(BondADInfoAttr.numPorts, "IFLA_BOND_AD_INFO_NUM_PORTS").map { Int($0) } ?? 0,
                actorKey: try info.u16(BondADInfoAttr.actorKey, "IFLA_BOND_AD_INFO_ACTOR_KEY").map { Int($0) } ?? 0,
                partnerKey: try info.u16(BondADInfoAttr.partnerKey, "IFLA_BOND_AD_INFO_PARTNER_KEY").map { Int($0) } ?? 0,
                partnerMAC: try mac(info, BondADInfoAttr.partnerMAC, "IFLA_BOND_AD_INFO_PARTNER_MAC") ?? "00:00:00:00:00:00"
            )
        }
        l.aggregatorVisible = true
        return l
    }

    /// A 6-byte Ethernet address attribute.
    static func mac(_ t: AttributeTable, _ type: Int32, _ name: String) throws(NetlinkDecodeError) -> String? {
        guard let b = try t.bytes(type, name) else { return nil }
        guard b.count >= 6 else { throw .attributeTooShort(attribute: name, needed: 6, actual: b.count) }
        return MACAddress.format(b.prefix(6))
    }

    /// `BOND_XMIT_POLICY_*` names as sysfs, procfs and iproute2 print them.
    static func xmitHashPolicyName(_ v: UInt8) -> String {
        switch v {
        case 0: return "layer2"
        case 1: return "layer3+4"
        case 2: return "layer2+3"
        case 3: return "encap2+3"
        case 4: return "encap3+4"
        case 5: return "vlan+srcmac"
        default: return "unknown(\(v))"
        }
    }

    /// `BOND_FOM_*`.
    static func failOverMACName(_ v: UInt8) -> String {
        switch v {
        case 0: return "none"
        case 1: return "active"
        case 2: return "follow"
        default: return "unknown(\(v))"
        }
    }

    /// `BOND_AD_STABLE`, `_BANDWIDTH`, `_COUNT`, and `actor_port_prio` (6.19).
    static func adSelectName(_ v: UInt8) -> String {
        switch v {
        case 0: return "stable"
        case 1: return "bandwidth"
        case 2: return "count"
        case 3: return "actor_port_prio"
        default: return "unknown(\(v))"
        }
    }
}
