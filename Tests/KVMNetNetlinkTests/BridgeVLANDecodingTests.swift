import CNetlink
import KVMNetModel
import Testing
@testable import KVMNetNetlink

/// `AF_BRIDGE` link messages (bridge VLANs) and the bridge's `IFLA_BR_VLAN_*`, from
/// hand-assembled messages: the shapes the kernel sends (`br_fill_ifinfo` with
/// `RTEXT_FILTER_BRVLAN_COMPRESSED`) and the ones it never sends.
@Suite struct BridgeVLANDecodingTests {
    typealias U = UAPI
    // linux/if_bridge.h
    static let IFLA_BRIDGE_FLAGS: UInt16 = 0, IFLA_BRIDGE_VLAN_INFO: UInt16 = 2
    static let MASTER: UInt16 = 1, PVID: UInt16 = 2, UNTAGGED: UInt16 = 4
    static let BEGIN: UInt16 = 8, END: UInt16 = 16, BRENTRY: UInt16 = 32
    // linux/if_link.h
    static let IFLA_BR_VLAN_FILTERING: UInt16 = 7, IFLA_BR_VLAN_PROTOCOL: UInt16 = 8
    static let IFLA_BR_VLAN_DEFAULT_PVID: UInt16 = 39

    static func info(_ flags: UInt16, _ vid: UInt16) -> Attr {
        Attr(type: IFLA_BRIDGE_VLAN_INFO, payload: le(flags) + le(vid))
    }

    /// An `AF_BRIDGE` `RTM_NEWLINK` as `br_fill_ifinfo` writes it; `spec` `nil`: no
    /// `IFLA_AF_SPEC` (no VLANs, or no VLAN support).
    static func message(type: UInt16 = UAPI.RTM_NEWLINK, index: Int32 = 5, name: String = "trunk0",
                        master: UInt32 = 2, spec: [Attr]?) -> [UInt8] {
        var attrs: [Attr] = [.string(U.IFLA_IFNAME, name), .u32(U.IFLA_MASTER, master), .u32(U.IFLA_MTU, 1500),
                             .u8(U.IFLA_OPERSTATE, 6), .mac(U.IFLA_ADDRESS, "02:00:00:00:00:05"),
                             .nested(12, [.u8(1, 3), .u16(2, 32)])]   // IFLA_PROTINFO { IFLA_BRPORT_STATE, _PRIORITY }
        if let spec { attrs.append(.nested(U.IFLA_AF_SPEC, spec)) }
        return MessageBuilder.message(type: type, header: MessageBuilder.ifinfomsg(family: U.AF_BRIDGE, index: index, flags: 0x11043),
                                      attributes: attrs)
    }

    static func vlans(_ spec: [Attr]) throws -> BridgeVLANSet? {
        try NetlinkMessageDecoder.bridgeVLANs(in: message(spec: spec))?.vlans
    }

    static func error(_ spec: [Attr]) -> NetlinkDecodeError? {
        do {
            _ = try NetlinkMessageDecoder.changes(in: message(spec: spec))
            return nil
        } catch {
            return error
        }
    }

    @Test func trunkWithPVIDAndARange() throws {
        let set = try #require(try Self.vlans([Self.info(Self.PVID | Self.UNTAGGED, 1),
                                               Self.info(Self.BEGIN, 2), Self.info(Self.END, 4094)]))
        #expect(set.ranges == [.init(vid: 1, untagged: true), .init(first: 2, last: 4094)])
        #expect(set.pvid == 1)
        #expect(set.count == 4094)
    }

    @Test func singleIDsWithUntaggedFlagsAndNoPVID() throws {
        let set = try #require(try Self.vlans([Self.info(0, 10), Self.info(Self.UNTAGGED, 20), Self.info(0, 30),
                                               Self.info(Self.BEGIN | Self.UNTAGGED, 100), Self.info(Self.END | Self.UNTAGGED, 102)]))
        #expect(set.text == "10,20,30,100-102")
        #expect(set.untaggedText == "20,100-102")
        #expect(set.pvid == nil)
    }

    /// `MASTER` and `BRENTRY` say which table an entry is in, not whether it is a member;
    /// other `IFLA_BRIDGE_*` attributes are skipped.
    @Test func tableFlagsAndOtherAttributesAreIgnored() throws {
        let set = try #require(try Self.vlans([.u16(Self.IFLA_BRIDGE_FLAGS, 1),
                                               Self.info(Self.BRENTRY | Self.PVID | Self.UNTAGGED, 1),
                                               Self.info(Self.MASTER | Self.BRENTRY, 10)]))
        #expect(set == BridgeVLANSet(ranges: [.init(vid: 1, untagged: true), .init(vid: 10)], pvid: 1))
    }

    /// No `IFLA_AF_SPEC` (a port without VLANs, or a kernel without VLAN filtering), or an
    /// `IFLA_AF_SPEC` without VLAN entries: no set, and never a device change.
    @Test func noVLANInformation() throws {
        let bare = try NetlinkMessageDecoder.changes(in: Self.message(spec: nil))
        #expect(bare == [.bridgeVLANsUpdated(index: 5, name: "trunk0", vlans: nil)])
        #expect(try Self.vlans([.u16(Self.IFLA_BRIDGE_FLAGS, 1)]) == nil)
        #expect(try NetlinkMessageDecoder.linkUpdate(in: Self.message(spec: nil)) == nil)
    }

    /// `RTM_DELLINK` of family `AF_BRIDGE`: the port left its bridge (the device is still
    /// there), even if the message still lists its VLANs.
    @Test func deletionMeansLeftTheBridge() throws {
        let m = Self.message(type: U.RTM_DELLINK, spec: [Self.info(Self.PVID | Self.UNTAGGED, 1)])
        #expect(try NetlinkMessageDecoder.changes(in: m) == [.bridgeVLANsUpdated(index: 5, name: "trunk0", vlans: nil)])
    }

    @Test func theBridgesSelfMessage() throws {
        let m = Self.message(index: 2, name: "br0", master: 2,
                             spec: [Self.info(Self.PVID | Self.UNTAGGED, 1), Self.info(0, 10), Self.info(Self.UNTAGGED, 20)])
        let decoded = try #require(try NetlinkMessageDecoder.bridgeVLANs(in: m))
        #expect(decoded.index == 2 && decoded.name == "br0")
        #expect(decoded.vlans?.text == "1,10,20")
    }

    // MARK: - Malformed: typed errors, never a crash

    @Test func rangeBeginNotClosed() {
        let open = Self.error([Self.info(Self.BEGIN, 2)])
        #expect(open == .invalidValue(attribute: "IFLA_BRIDGE_VLAN_INFO", detail: "range from 2 not closed by RANGE_END"))
        let interrupted = Self.error([Self.info(Self.BEGIN, 2), Self.info(0, 7), Self.info(Self.END, 9)])
        #expect(interrupted == .invalidValue(attribute: "IFLA_BRIDGE_VLAN_INFO", detail: "range from 2 not closed by RANGE_END"))
        let twice = Self.error([Self.info(Self.BEGIN, 2), Self.info(Self.BEGIN, 3), Self.info(Self.END, 9)])
        #expect(twice != nil)
    }

    @Test func rangeEndAloneOrBackwards() {
        #expect(Self.error([Self.info(Self.END, 9)])
                == .invalidValue(attribute: "IFLA_BRIDGE_VLAN_INFO", detail: "RANGE_END 9 without RANGE_BEGIN"))
        #expect(Self.error([Self.info(Self.BEGIN, 9), Self.info(Self.END, 9)])
                == .invalidValue(attribute: "IFLA_BRIDGE_VLAN_INFO", detail: "range 9-9 ends below its start"))
        #expect(Self.error([Self.info(Self.BEGIN | Self.END, 9)]) != nil)
    }

    @Test("vid 0 and above 4094 are refused", arguments: [UInt16(0), 4095, 0xffff])
    func impossibleVID(_ vid: UInt16) {
        #expect(Self.error([Self.info(0, vid)])
                == .invalidValue(attribute: "IFLA_BRIDGE_VLAN_INFO", detail: "vid \(vid) is not 1-4094"))
        #expect(Self.error([Self.info(Self.BEGIN, 1), Self.info(Self.END, vid)]) != nil)
    }

    @Test func shortEntry() {
        let short = Attr(type: Self.IFLA_BRIDGE_VLAN_INFO, payload: le(UInt16(0)))
        #expect(Self.error([short]) == .attributeTooShort(attribute: "IFLA_BRIDGE_VLAN_INFO", needed: 4, actual: 2))
    }

    @Test func pvidTwiceOrOnARange() {
        #expect(Self.error([Self.info(Self.PVID, 1), Self.info(Self.PVID, 2)])
                == .invalidValue(attribute: "IFLA_BRIDGE_VLAN_INFO", detail: "two PVIDs, 1 and 2"))
        #expect(Self.error([Self.info(Self.PVID | Self.BEGIN, 1), Self.info(Self.END, 5)])
                == .invalidValue(attribute: "IFLA_BRIDGE_VLAN_INFO", detail: "PVID 1 on a range"))
    }

    @Test func garbledNest() {
        // An entry claiming 40 bytes in a 12-byte nest.
        let garbage = Attr(type: U.IFLA_AF_SPEC, payload: le(UInt16(40)) + le(Self.IFLA_BRIDGE_VLAN_INFO) + [0, 0, 1, 0, 0, 0, 0, 0])
        var attrs: [Attr] = [.string(U.IFLA_IFNAME, "x")]
        attrs.append(garbage)
        let m = MessageBuilder.message(type: U.RTM_NEWLINK, header: MessageBuilder.ifinfomsg(family: U.AF_BRIDGE, index: 3, flags: 0),
                                       attributes: attrs)
        #expect(throws: NetlinkDecodeError.self) { try NetlinkMessageDecoder.changes(in: m) }
    }

    @Test func ifindexZero() {
        let m = Self.message(index: 0, spec: nil)
        #expect(throws: NetlinkDecodeError.self) { try NetlinkMessageDecoder.changes(in: m) }
    }

    /// Every prefix and every single-byte corruption of a real-shaped message decodes or
    /// throws, never traps.
    @Test func truncationAndCorruptionNeverCrash() {
        let m = Self.message(spec: [Self.info(Self.PVID | Self.UNTAGGED, 1), Self.info(Self.BEGIN, 2), Self.info(Self.END, 4094),
                                    Self.info(Self.UNTAGGED, 300)])
        for n in 0..<m.count { _ = try? NetlinkMessageDecoder.changes(in: Array(m.prefix(n))) }
        for i in 0..<m.count {
            for v: UInt8 in [0, 1, 0x08, 0x10, 0x7f, 0xff] {
                var b = m
                b[i] = v
                _ = try? NetlinkMessageDecoder.changes(in: b)
                _ = try? NetlinkMessageDecoder.bridgeVLANs(in: b)
            }
        }
    }

    // MARK: - IFLA_BR_VLAN_*

    static func bridge(_ data: [Attr]) -> [UInt8] {
        let info = Attr.nested(U.IFLA_LINKINFO, [.string(U.IFLA_INFO_KIND, "bridge"), .nested(U.IFLA_INFO_DATA, data)])
        return SyntheticMessages.newLink(index: 2, flags: SyntheticMessages.upFlags,
                                         attributes: SyntheticMessages.linkAttributes(name: "br1", mac: "02:00:00:00:00:02", linkinfo: info))
    }

    @Test func bridgeVLANProtocolAndDefaultPVID() throws {
        let u = try #require(try NetlinkMessageDecoder.linkUpdate(in: Self.bridge([
            .u8(Self.IFLA_BR_VLAN_FILTERING, 1), .be16(Self.IFLA_BR_VLAN_PROTOCOL, 0x88a8), .u16(Self.IFLA_BR_VLAN_DEFAULT_PVID, 0)])))
        #expect(u.bridge?.vlanFiltering == true)
        #expect(u.bridge?.vlanProtocol == .dot1ad)
        #expect(u.bridge?.defaultPVID == 0)
        let q = try #require(try NetlinkMessageDecoder.linkUpdate(in: Self.bridge([
            .be16(Self.IFLA_BR_VLAN_PROTOCOL, 0x8100), .u16(Self.IFLA_BR_VLAN_DEFAULT_PVID, 1)])))
        #expect(q.bridge?.vlanProtocol == .dot1Q)
        #expect(q.bridge?.defaultPVID == 1)
        let none = try #require(try NetlinkMessageDecoder.linkUpdate(in: Self.bridge([])))
        #expect(none.bridge?.vlanProtocol == nil && none.bridge?.defaultPVID == nil)
    }

    @Test func bridgeVLANProtocolMustBeATag() {
        #expect(throws: NetlinkDecodeError.invalidValue(attribute: "IFLA_BR_VLAN_PROTOCOL", detail: "0x800 is not 802.1Q or 802.1ad")) {
            try NetlinkMessageDecoder.linkUpdate(in: Self.bridge([.be16(Self.IFLA_BR_VLAN_PROTOCOL, 0x0800)]))
        }
        #expect(throws: NetlinkDecodeError.attributeTooShort(attribute: "IFLA_BR_VLAN_DEFAULT_PVID", needed: 2, actual: 1)) {
            try NetlinkMessageDecoder.linkUpdate(in: Self.bridge([.u8(Self.IFLA_BR_VLAN_DEFAULT_PVID, 1)]))
        }
    }

    /// The numbers the decoder uses, against the installed uapi headers.
    @Test func constantsMatchTheKernelHeaders() {
        func n<T: BinaryInteger>(_ v: T) -> Int { Int(v) }
        #expect(n(LinkAttr.afSpec) == n(IFLA_AF_SPEC))
        #expect(n(BridgeAttr.vlanProtocol) == n(CNetlink.IFLA_BR_VLAN_PROTOCOL))
        #expect(n(BridgeAttr.vlanDefaultPVID) == n(CNetlink.IFLA_BR_VLAN_DEFAULT_PVID))
        #expect(n(BridgeAFSpecAttr.vlanInfo) == n(CNetlink.IFLA_BRIDGE_VLAN_INFO))
        #expect(n(BridgeVLANFlag.pvid) == n(BRIDGE_VLAN_INFO_PVID))
        #expect(n(BridgeVLANFlag.untagged) == n(BRIDGE_VLAN_INFO_UNTAGGED))
        #expect(n(BridgeVLANFlag.rangeBegin) == n(BRIDGE_VLAN_INFO_RANGE_BEGIN))
        #expect(n(BridgeVLANFlag.rangeEnd) == n(BRIDGE_VLAN_INFO_RANGE_END))
        #expect(n(BridgeVLANFlag.brentry) == n(BRIDGE_VLAN_INFO_BRENTRY))
        #expect(n(KernelValue.rtextFilterBRVLANCompressed) == n(RTEXT_FILTER_BRVLAN_COMPRESSED))
        #expect(n(RouteMessageType.newVLAN) == n(RTM_NEWVLAN))
        #expect(MemoryLayout<bridge_vlan_info>.size == 4)
    }
}
