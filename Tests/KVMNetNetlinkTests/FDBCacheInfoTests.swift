import Foundation
import KVMNetModel
@testable import KVMNetNetlink
import KVMNetTestSupport
import Testing

/// `NDA_CACHEINFO` of bridge FDB entries (their ages), as dumps, events and the answer to
/// an FDB get carry it, and the get itself (`NetlinkFDBReader`).
@Suite struct FDBCacheInfoDecodingTests {
    static func mac(_ text: String) -> UInt64 {
        FDBEntry.packMAC(text.split(separator: ":").compactMap { UInt8($0, radix: 16) })
    }

    /// This machine's kernel answering `RTM_GETNEIGH` (no dump) for a learned entry, about
    /// 2.7 s after the VM's last frame (`Fixtures/fdb-get-6.18`); iproute2 printed the same
    /// entry as `used 4, updated 2` (whole seconds).
    @Test func capturedGetAnswer() throws {
        let bytes = try FixtureLibrary.bytes("fdb-get-6.18/get-fdb-learned.nlmsg")
        let got = try #require(try NetlinkMessageDecoder.fdbEntryAndCacheInfo(in: bytes))
        #expect(got.entry == FDBEntry(mac: Self.mac("52:54:00:6b:3c:01"), vlan: 0, bridgeIndex: 2, portIndex: 3, kind: .learned))
        let info = try #require(got.cacheInfo)
        #expect(info == FDBCacheInfo(confirmed: 0, used: 464, updated: 270, refcount: 0))
        #expect(info.updatedSeconds == 2.7)
        #expect(info.usedSeconds == 4.64)
        // What iproute2 printed for the same entry a moment before (integer seconds).
        let shown = try JSONSerialization.jsonObject(with: Data(contentsOf: FixtureLibrary.root
            .appendingPathComponent("fdb-get-6.18/get-fdb-learned.bridge-fdb-get.json"))) as? [[String: Any]]
        let updated = try #require(shown?.first?["updated"] as? Int)
        #expect(abs(info.updatedSeconds - Double(updated)) < 1.5)
        // The plain decoder sees the same entry.
        #expect(try NetlinkMessageDecoder.fdbEntry(in: bytes) == got.entry)
    }

    /// Dumps carry it too: the learned entry of the fixture capture, 0.24 s after a frame.
    @Test func capturedDumpEntry() throws {
        let got = try #require(try NetlinkMessageDecoder.fdbEntryAndCacheInfo(in: FixtureLibrary.captured("dump-fdb-11-ifindex4")))
        #expect(got.entry.kind == .learned)
        #expect(got.cacheInfo == FDBCacheInfo(used: 44, updated: 24))
    }

    @Test func builtEntryInAVLAN() throws {
        let info = le(UInt32(0)) + le(UInt32(1234)) + le(UInt32(320)) + le(UInt32(0))
        let bytes = MessageBuilder.message(
            type: UAPI.RTM_NEWNEIGH, header: MessageBuilder.ndmsg(family: UAPI.AF_BRIDGE, ifindex: 5, state: 0x02),
            attributes: [.mac(UAPI.NDA_LLADDR, "52:54:00:aa:00:20"), .u32(UAPI.NDA_MASTER, 4), .u16(UAPI.NDA_VLAN, 20),
                         .bytes(UAPI.NDA_CACHEINFO, info)])
        let got = try #require(try NetlinkMessageDecoder.fdbEntryAndCacheInfo(in: bytes))
        #expect(got.entry.key == FDBEntry.Key(mac: Self.mac("52:54:00:aa:00:20"), vlan: 20, bridgeIndex: 4))
        #expect(got.cacheInfo?.updatedSeconds == 3.2)
        #expect(got.cacheInfo?.usedSeconds == 12.34)
    }

    @Test func withoutCacheInfoTheAgeIsUnknown() throws {
        let bytes = MessageBuilder.message(
            type: UAPI.RTM_NEWNEIGH, header: MessageBuilder.ndmsg(family: UAPI.AF_BRIDGE, ifindex: 5, state: 0x02),
            attributes: [.mac(UAPI.NDA_LLADDR, "52:54:00:aa:00:20"), .u32(UAPI.NDA_MASTER, 4)])
        let got = try #require(try NetlinkMessageDecoder.fdbEntryAndCacheInfo(in: bytes))
        #expect(got.cacheInfo == nil)
    }

    @Test func shortCacheInfoIsAnError() {
        let bytes = MessageBuilder.message(
            type: UAPI.RTM_NEWNEIGH, header: MessageBuilder.ndmsg(family: UAPI.AF_BRIDGE, ifindex: 5, state: 0x02),
            attributes: [.mac(UAPI.NDA_LLADDR, "52:54:00:aa:00:20"), .u32(UAPI.NDA_MASTER, 4),
                         .bytes(UAPI.NDA_CACHEINFO, le(UInt32(1)) + le(UInt32(2)))])
        #expect(throws: NetlinkDecodeError.attributeTooShort(attribute: "NDA_CACHEINFO", needed: 16, actual: 8)) {
            try NetlinkMessageDecoder.fdbEntryAndCacheInfo(in: bytes)
        }
    }

    /// The request is what `bridge fdb get MAC br BRIDGE vlan V` sends: a bare `ndmsg`
    /// (`valid_fdb_get_strict` refuses anything else in it) and three attributes.
    @Test func getRequest() {
        let key = FDBEntry.Key(mac: Self.mac("52:54:00:aa:00:20"), vlan: 20, bridgeIndex: 4)
        let r = RouteRequest.fdbEntry(key)
        #expect(r.type == 30 && r.flags == 0)
        #expect(r.familyHeader == [7] + [UInt8](repeating: 0, count: 11))
        #expect(r.attributes.map(\.0) == [2, 9, 5])
        #expect(r.attributes[0].1 == [0x52, 0x54, 0x00, 0xaa, 0x00, 0x20])
        #expect(r.attributes[1].1 == le(UInt32(4)))
        #expect(r.attributes[2].1 == le(UInt16(20)))
        #expect(RouteRequest.fdbEntry(FDBEntry.Key(mac: key.mac, vlan: 0, bridgeIndex: 4)).attributes.count == 2)
    }

    @Test func kernelErrorsAreTyped() {
        #expect(FDBGetError(.libnl(operation: "get", code: 12, message: "Object not found")) == .notFound)
        #expect(FDBGetError(.libnl(operation: "get", code: 10, message: "Operation not supported")) == .notSupported)
        #expect(FDBGetError(.libnl(operation: "get", code: 7, message: "Invalid input data or parameter")) == .failed(.libnl(operation: "get", code: 7, message: "Invalid input data or parameter")))
    }
}

/// The FDB get against this machine's kernel, in namespaces of the test's own.
@Suite(.serialized, .enabled(if: LiveTests.enabled(KernelAccess.available), KernelAccess.reason))
struct LiveFDBGetTests {
    init() throws { try LiveTests.require(KernelAccess.available, "needs root and iproute2 (ip, bridge)") }

    @Test func learnedEntriesHaveAgesAndAMissingOneIsNotFound() throws {
        try withTestNamespace { ns in
            let lab = try VirtualHostLab(host: ns)
            defer { lab.tearDown() }
            try lab.createBridges()
            try lab.plugVMs()
            try lab.exchangeTraffic()
            try lab.addStaticEntries()
            let dump = try ns.run { try NetlinkTopologyDump.dump() }
            let learned = dump.fdb.filter { $0.kind == .learned }
            #expect(learned.count >= 3)
            let bogus = FDBEntry.Key(mac: 0x02_00_00_00_99_99, vlan: 0, bridgeIndex: try #require(learned.first).bridgeIndex)
            let keys = learned.map(\.key) + [bogus]
            let infos = try ns.run { try NetlinkFDBReader.cacheInfo(of: keys) }
            for e in learned {
                let info = try #require(try? infos[e.key]?.get(), "\(e): \(String(describing: infos[e.key]))")
                #expect(info.updatedSeconds < 10, "\(e): \(info)")
            }
            #expect(infos[bogus] == .failure(.notFound))
            // A static entry answers as well (the agent does not ask: its age means nothing).
            let pinned = try #require(dump.fdb.first { $0.kind == .static })
            #expect(try ns.run { try NetlinkFDBReader.cacheInfo(of: [pinned.key]) }[pinned.key].map { (try? $0.get()) != nil } == true)
        }
    }
}
