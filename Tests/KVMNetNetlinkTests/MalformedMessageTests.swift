import KVMNetModel
import KVMNetNetlink
import Testing

/// Short and garbled input gives a typed error, never a crash.
@Suite struct MalformedMessageTests {
    typealias U = UAPI
    typealias M = SyntheticMessages

    func decodeError(_ bytes: [UInt8]) -> NetlinkDecodeError? {
        do {
            _ = try NetlinkMessageDecoder.changes(in: bytes)
            return nil
        } catch {
            return error
        }
    }

    /// A link message with the given attributes (plus a name, unless `named` is false).
    func link(_ attributes: [Attr], named: Bool = true) -> [UInt8] {
        M.newLink(index: 5, flags: U.IFF_UP, attributes: (named ? [.string(U.IFLA_IFNAME, "eth9")] : []) + attributes)
    }

    @Test func emptyBuffer() {
        #expect(decodeError([]) == .truncatedMessage(needed: 16, available: 0))
    }

    @Test func lengthBeyondTheBuffer() {
        var bytes = link([])
        bytes.removeLast(4)
        #expect(decodeError(bytes) == .truncatedMessage(needed: bytes.count + 4, available: bytes.count))
    }

    @Test func lengthShorterThanAHeader() {
        var bytes = link([])
        bytes[0] = 8; bytes[1] = 0; bytes[2] = 0; bytes[3] = 0
        #expect(decodeError(bytes) == .truncatedMessage(needed: 16, available: bytes.count))
    }

    @Test func familyHeaderCutShort() {
        let bytes = MessageBuilder.message(type: U.RTM_NEWLINK, header: [0, 0, 1, 0, 5, 0, 0, 0], attributes: [])
        #expect(decodeError(bytes) == .truncatedFamilyHeader(messageType: 16, needed: 16, available: 8))
    }

    @Test func attributeTooShortForItsType() {
        #expect(decodeError(link([.u16(U.IFLA_MTU, 1500)])) == .attributeTooShort(attribute: "IFLA_MTU", needed: 4, actual: 2))
        #expect(decodeError(link([.bytes(U.IFLA_OPERSTATE, [])])) == .attributeTooShort(attribute: "IFLA_OPERSTATE", needed: 1, actual: 0))
    }

    @Test func attributeClaimingMoreThanRemains() {
        var bytes = link([.u32(U.IFLA_MTU, 1500)])
        // nla_len of the last attribute (at len-8) says 64.
        bytes[bytes.count - 8] = 64
        #expect(decodeError(bytes) == .malformedAttributes(context: "IFLA", leftoverBytes: 8))
    }

    @Test func garbageInsideLinkInfo() {
        let bytes = link([Attr(type: U.IFLA_LINKINFO, payload: [3, 0, 1, 0, 0xff, 0xff])])
        #expect(decodeError(bytes) == .malformedAttributes(context: "IFLA_LINKINFO", leftoverBytes: 6))
    }

    @Test func missingName() {
        #expect(decodeError(link([.u32(U.IFLA_MTU, 1500)], named: false)) == .missingAttribute("IFLA_IFNAME"))
    }

    @Test func shortBondMode() {
        let bytes = M.bondMaster(name: "bond0", index: 10, mac: "02:00:00:00:00:10",
                                 data: M.bondData([.bytes(U.IFLA_BOND_MODE, [])]))
        #expect(decodeError(bytes) == .attributeTooShort(attribute: "IFLA_BOND_MODE", needed: 1, actual: 0))
    }

    @Test func shortARPTarget() {
        let bytes = M.bondMaster(name: "bond0", index: 10, mac: "02:00:00:00:00:10", data: M.bondData([], extra: [
            .nested(U.IFLA_BOND_ARP_IP_TARGET, [.bytes(0, [10, 0])]),
        ]))
        #expect(decodeError(bytes) == .attributeTooShort(attribute: "IFLA_BOND_ARP_IP_TARGET entry", needed: 4, actual: 2))
    }

    @Test func shortPartnerMAC() {
        let bytes = M.bondMaster(name: "bond0", index: 10, mac: "02:00:00:00:00:10", data: M.bondData(
            [.u8(U.IFLA_BOND_MODE, 4)],
            extra: [.nested(U.IFLA_BOND_AD_INFO, [.bytes(U.IFLA_BOND_AD_INFO_PARTNER_MAC, [1, 2, 3])])]))
        #expect(decodeError(bytes) == .attributeTooShort(attribute: "IFLA_BOND_AD_INFO_PARTNER_MAC", needed: 6, actual: 3))
    }

    @Test func shortFDBAddress() {
        let bytes = MessageBuilder.message(type: U.RTM_NEWNEIGH, header: MessageBuilder.ndmsg(
            family: U.AF_BRIDGE, ifindex: 3, state: U.NUD_REACHABLE), attributes: [
                .bytes(U.NDA_LLADDR, [1, 2, 3, 4]), .u32(U.NDA_MASTER, 2),
            ])
        #expect(decodeError(bytes) == .attributeTooShort(attribute: "NDA_LLADDR", needed: 6, actual: 4))
    }

    @Test func impossiblePortState() {
        let bytes = link([.nested(U.IFLA_LINKINFO, [
            .string(U.IFLA_INFO_SLAVE_KIND, "bridge"),
            .nested(U.IFLA_INFO_SLAVE_DATA, [.u8(1, 9)]),
        ])])
        #expect(decodeError(bytes) == .invalidValue(attribute: "IFLA_BRPORT_STATE", detail: "9 is not a BR_STATE_*"))
    }

    @Test func unknownMessageTypesAndAttributesAreIgnored() throws {
        let route = MessageBuilder.message(type: 24, header: Array(repeating: 0, count: 12), attributes: [])
        #expect(try NetlinkMessageDecoder.change(in: route) == nil)
        let u = try NetlinkMessageDecoder.linkUpdate(in: link([.bytes(250, Array(repeating: 0xee, count: 100)),
                                                               .u32(U.IFLA_MTU, 9000)]))
        #expect(u?.link.mtu == 9000)
    }

    /// Every prefix of every captured and synthetic message, with `nlmsg_len` patched to the
    /// prefix (so the attribute parser meets cut attributes), and bytes flipped at every
    /// position: the decoder must return or throw, never trap.
    @Test func truncationAndCorruptionNeverCrash() throws {
        var samples: [[UInt8]] = try FixtureLibrary.allMessageNames().map { try FixtureLibrary.bytes($0) }
        samples += [BondDecodingTests.activeBackup,
                    M.vlan(name: "v", index: 3, parent: 2, id: 5, mac: "02:00:00:00:00:01"),
                    M.bondSlave(name: "s", index: 4, master: 3, mac: "02:00:00:00:00:02", state: 0, mii: 0,
                                failures: 0, aggregator: 1, actorState: 61, partnerState: 61)]
        var outcomes = (decoded: 0, failed: 0)
        func attempt(_ b: [UInt8]) {
            if (try? NetlinkMessageDecoder.changes(in: b)) != nil { outcomes.decoded += 1 } else { outcomes.failed += 1 }
        }
        for s in samples {
            for n in stride(from: 16, to: s.count, by: 1) {
                var cut = Array(s.prefix(n))
                let len = le(UInt32(n))
                cut.replaceSubrange(0..<4, with: len)
                attempt(cut)
            }
            for i in stride(from: 16, to: s.count, by: 3) {
                var flipped = s
                flipped[i] ^= 0xA5
                attempt(flipped)
            }
        }
        #expect(outcomes.decoded > 0)
        #expect(outcomes.failed > 0)
    }
}
