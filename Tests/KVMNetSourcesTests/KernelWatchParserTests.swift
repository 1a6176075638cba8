import KVMNetModel
import KVMNetSources
import Testing

/// The pure halves of `kvmnet-diag watch`: the ring buffer's records and /proc/kallsyms.
@Suite struct KernelWatchParserTests {
    /// A record laid out as `struct kvmnet_watch_event` (watch_event.h).
    static func record(kind: UInt32 = 1, reason: UInt32 = 11, ifindex: UInt32 = 7, vlan: UInt16? = 10,
                       etherType: UInt16 = 0x0806, length: Int = 72) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: length)
        func put(_ value: UInt64, at: Int, size: Int) { for i in 0..<size where at + i < length { b[at + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) } }
        put(123_456_789, at: 0, size: 8)
        put(0xffff_ffff_81e8_db20, at: 8, size: 8)
        put(UInt64(kind), at: 16, size: 4)
        put(UInt64(reason), at: 20, size: 4)
        put(UInt64(ifindex), at: 24, size: 4)
        put(4026531840, at: 28, size: 4)
        put(3, at: 32, size: 4)
        put(42, at: 36, size: 4)
        put(UInt64(vlan ?? 0) | 0x2000, at: 40, size: 2)   // PCP 1 on top of the VID
        put(UInt64(etherType), at: 42, size: 2)
        if length > 46 { b[44] = 1; b[45] = vlan == nil ? 0 : 1; b[46] = 8 }
        for (i, byte) in [0x52, 0x54, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 10, 0, 0, 1, 10, 0, 0, 2].enumerated() where 48 + i < length {
            b[48 + i] = UInt8(byte)
        }
        return b
    }

    @Test func decodesEveryField() throws {
        let event = try FrameEventDecoder.decode(Self.record())
        #expect(event.kind == .drop)
        #expect(event.timestampNanoseconds == 123_456_789)
        #expect(event.location == 0xffff_ffff_81e8_db20)
        #expect(event.reason == 11)
        #expect(event.ifindex == 7)
        #expect(event.networkNamespace == 4026531840)
        #expect(event.ingressIfindex == 3)
        #expect(event.length == 42)
        #expect(event.vlanID == 10)
        #expect(event.etherType == 0x0806)
        #expect(event.protocolName == "ARP request")
        #expect(MACAddress.format(event.sourceMAC) == "52:54:00:00:00:01")
        #expect(event.destinationMAC == 0xffff_ffff_ffff)
        #expect(event.sourceIPv4 == "10.0.0.1")
        #expect(event.destinationIPv4 == "10.0.0.2")
    }

    @Test func untaggedAndNonIPFramesHaveNoVLANAndNoAddresses() throws {
        let event = try FrameEventDecoder.decode(Self.record(kind: 2, vlan: nil, etherType: 0x86dd))
        #expect(event.kind == .receive)
        #expect(event.vlanID == nil)
        #expect(event.sourceIPv4 == nil)
        #expect(event.protocolName == "IPv6")
    }

    @Test func shortAndUnknownRecordsAreTypedErrors() {
        #expect(throws: FrameEventDecoder.Failure.truncated(length: 40)) { try FrameEventDecoder.decode(Self.record(length: 40)) }
        #expect(throws: FrameEventDecoder.Failure.unknownKind(9)) { try FrameEventDecoder.decode(Self.record(kind: 9)) }
        #expect((try? FrameEventDecoder.decode(Self.record(length: 80))) != nil, "longer (padded) records decode")
    }

    static let kallsyms = """
        ffffffff81000000 T _text
        ffffffff81e8db10 t __pfx_kfree_skbmem
        ffffffff81e8db20 t kfree_skbmem
        ffffffff81e90910 T __pfx_kfree_skb_list_reason
        ffffffff81e90920 T kfree_skb_list_reason
        ffffffff82000000 D some_data
        ffffffffc0a01000 t br_handle_frame_finish\t[bridge]
        ffffffffc0a01800 t br_forward\t[bridge]
        garbage line
        """

    @Test func namesAddressesAfterTheClosestTextSymbolBelow() throws {
        let text = Array(Self.kallsyms.utf8)
        let names = try KernelSymbols.symbolize([0xffff_ffff_81e8_db40, 0xffff_ffff_c0a0_11a4, 0xffff_ffff_c0a0_1800, 0xffff_ffff_8200_0010, 0x10], in: text)
        #expect(names[0xffff_ffff_81e8_db40]?.description == "kfree_skbmem+0x20")
        #expect(names[0xffff_ffff_c0a0_11a4]?.description == "br_handle_frame_finish+0x1a4 [bridge]")
        #expect(names[0xffff_ffff_c0a0_1800]?.description == "br_forward+0x0 [bridge]")
        // Data symbols are not functions: the closest text symbol below is the last of vmlinux.
        #expect(names[0xffff_ffff_8200_0010]?.function == "kfree_skb_list_reason")
        #expect(names[0x10] == nil)
    }

    @Test func hiddenAddressesAndGarbageAreTypedErrors() {
        let hidden = Array("0000000000000000 T _text\n0000000000000000 t kfree_skbmem\n".utf8)
        #expect(throws: KernelSymbols.Failure.addressesHidden) { try KernelSymbols.symbolize([1], in: hidden) }
        #expect(throws: KernelSymbols.Failure.malformed(lines: 2)) { try KernelSymbols.symbolize([1], in: Array("no\nsymbols here\n".utf8)) }
        #expect((try? KernelSymbols.symbolize([1], in: [UInt8]())) == [:])
    }
}
