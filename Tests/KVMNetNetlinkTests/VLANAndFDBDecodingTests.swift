import KVMNetModel
import KVMNetNetlink
import Testing

/// VLAN devices and FDB entries with VLANs, from hand-assembled messages (this machine has
/// no 8021q, and its bridge has no VLAN filtering).
@Suite struct VLANAndFDBDecodingTests {
    typealias U = UAPI
    typealias M = SyntheticMessages

    @Test func vlanOverABond() throws {
        let u = try #require(try NetlinkMessageDecoder.linkUpdate(in: M.vlan(
            name: "bond0.10", index: 40, parent: 10, id: 10, mac: "52:54:00:00:00:01")))
        #expect(u.link.kind == .vlan)
        #expect(u.lowerIndex == 10)
        #expect(u.vlan == VLANDevice(name: "bond0.10", id: 10, parent: "", proto: "802.1Q"))

        let bond = try #require(try NetlinkMessageDecoder.linkUpdate(in: BondDecodingTests.activeBackup))
        let topo = TopologyBuilder.build(links: [bond, u])
        #expect(topo.vlans["bond0.10"] == VLANDevice(name: "bond0.10", id: 10, parent: "bond0", proto: "802.1Q"))
        #expect(topo.links["bond0.10"]?.lowers == ["bond0"])
    }

    @Test func qinq() throws {
        let u = try #require(try NetlinkMessageDecoder.linkUpdate(in: M.vlan(
            name: "eth0.100", index: 41, parent: 2, id: 100, proto: 0x88a8, mac: "52:54:00:00:00:02")))
        #expect(u.vlan?.proto == "802.1ad")
        #expect(u.vlan?.id == 100)
    }

    @Test func learnedEntryWithVLAN() throws {
        let e = try NetlinkMessageDecoder.fdbEntry(in: M.fdb(port: 12, bridge: 2, mac: "52:54:00:12:34:56", vlan: 10,
                                                             state: U.NUD_REACHABLE))
        #expect(e == FDBEntry(mac: 0x5254_0012_3456, vlan: 10, bridgeIndex: 2, portIndex: 12, kind: .learned))
    }

    @Test("ndm_state to kind", arguments: [
        (UAPI.NUD_REACHABLE, FDBEntryKind.learned), (UAPI.NUD_STALE, .learned),
        (UAPI.NUD_NOARP, .static), (UAPI.NUD_PERMANENT, .local), (UAPI.NUD_NOARP | UAPI.NUD_PERMANENT, .local),
    ])
    func kinds(_ state: UInt16, _ kind: FDBEntryKind) throws {
        let e = try NetlinkMessageDecoder.fdbEntry(in: M.fdb(port: 12, bridge: 2, mac: "52:54:00:12:34:56", state: state))
        #expect(e?.kind == kind)
    }

    @Test func deviceOwnAddressIsNotAnFDBEntry() throws {
        let bytes = M.fdb(port: 12, bridge: nil, mac: "33:33:00:00:00:01", state: U.NUD_PERMANENT, flags: U.NTF_SELF)
        #expect(try NetlinkMessageDecoder.fdbEntry(in: bytes) == nil)
        #expect(try NetlinkMessageDecoder.change(in: bytes) == nil)
    }

    @Test func removalIsReportedAsSuch() throws {
        let bytes = M.fdb(type: U.RTM_DELNEIGH, port: 12, bridge: 2, mac: "52:54:00:12:34:56", state: U.NUD_STALE)
        #expect(try NetlinkMessageDecoder.change(in: bytes) == .fdbRemoved(FDBEntry(
            mac: 0x5254_0012_3456, vlan: 0, bridgeIndex: 2, portIndex: 12, kind: .learned)))
    }

    @Test func severalMessagesInOneBuffer() throws {
        let buffer = M.fdb(port: 12, bridge: 2, mac: "52:54:00:00:00:01", state: U.NUD_REACHABLE)
            + M.fdb(port: 12, bridge: nil, mac: "33:33:00:00:00:01", state: U.NUD_PERMANENT, flags: U.NTF_SELF)
            + M.fdb(port: 13, bridge: 2, mac: "52:54:00:00:00:02", state: U.NUD_NOARP)
        let changes = try NetlinkMessageDecoder.changes(in: buffer)
        #expect(changes.count == 2)
        #expect(throws: NetlinkDecodeError.self) { try NetlinkMessageDecoder.change(in: buffer) }
    }

    @Test func ipv4AddressUsesIFALocal() throws {
        let bytes = MessageBuilder.message(type: U.RTM_NEWADDR, header: MessageBuilder.ifaddrmsg(
            family: U.AF_INET, prefixLength: 30, index: 9), attributes: [
                .bytes(U.IFA_ADDRESS, [10, 9, 9, 2]), // the peer of a point-to-point link
                .bytes(U.IFA_LOCAL, [10, 9, 9, 1]),
                .string(U.IFA_LABEL, "tun0"),
            ])
        #expect(try NetlinkMessageDecoder.address(in: bytes) == InterfaceAddress(linkIndex: 9, text: "10.9.9.1/30"))
    }
}
