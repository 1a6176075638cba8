import Foundation
import KVMNetModel
import KVMNetNetlink
import Testing

/// The `AF_BRIDGE` neighbour dump and the address dump this machine's kernel sent, against
/// what `bridge fdb show` and `ip addr show` printed (`Fixtures/captured-6.18/*.txt`).
@Suite struct CapturedFDBDecodingTests {
    /// ifindexes of the capture (`ip-d-link-show.txt`).
    static let br0: Int32 = 2, br1: Int32 = 3, vnet0: Int32 = 4, vnet1: Int32 = 6, tap0: Int32 = 7

    static func mac(_ text: String) -> UInt64 {
        FDBEntry.packMAC(text.split(separator: ":").compactMap { UInt8($0, radix: 16) })
    }

    static func names(_ prefix: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: FixtureLibrary.capturedHere.path)
            .filter { $0.hasPrefix(prefix) && $0.hasSuffix(".nlmsg") }
            .map { String($0.dropLast(".nlmsg".count)) }
            .sorted()
    }

    @Test func onlyBridgeEntriesAreKept() throws {
        let files = try Self.names("dump-fdb-")
        #expect(files.count == 27)
        let entries = try files.compactMap { try NetlinkMessageDecoder.fdbEntry(in: FixtureLibrary.captured($0)) }
        // The six lines with "master <bridge>"; the 21 "self permanent" lines are device addresses.
        let expected: Set<FDBEntry> = [
            FDBEntry(mac: Self.mac("02:00:00:00:00:aa"), vlan: 0, bridgeIndex: Self.br0, portIndex: Self.vnet0, kind: .static),
            FDBEntry(mac: Self.mac("da:f2:45:0c:d4:9d"), vlan: 0, bridgeIndex: Self.br0, portIndex: Self.vnet0, kind: .learned),
            FDBEntry(mac: Self.mac("9e:d6:f9:bb:f0:c0"), vlan: 0, bridgeIndex: Self.br0, portIndex: Self.vnet0, kind: .local),
            FDBEntry(mac: Self.mac("02:00:00:00:00:bb"), vlan: 0, bridgeIndex: Self.br1, portIndex: Self.vnet1, kind: .static),
            FDBEntry(mac: Self.mac("ea:e9:2d:86:e9:3d"), vlan: 0, bridgeIndex: Self.br1, portIndex: Self.vnet1, kind: .local),
            FDBEntry(mac: Self.mac("e6:52:19:10:5e:1f"), vlan: 0, bridgeIndex: Self.br0, portIndex: Self.tap0, kind: .local),
        ]
        #expect(entries.count == 6)
        #expect(Set(entries) == expected)
    }

    @Test func countsMatchBridgeFDBShow() throws {
        let entries = try Self.names("dump-fdb-").compactMap { try NetlinkMessageDecoder.fdbEntry(in: FixtureLibrary.captured($0)) }
        let text = try String(contentsOf: FixtureLibrary.capturedHere.appendingPathComponent("bridge-fdb-show.txt"), encoding: .utf8)
        let links = try ["lo", "br0", "br1", "vnet0", "vnet1p", "vnet1", "tap0"].compactMap {
            try NetlinkMessageDecoder.linkUpdate(in: FixtureLibrary.captured("dump-link-\($0)"))
        }
        let topo = TopologyBuilder.build(links: links, fdb: FDBCounts(tallying: entries))
        let shown = BridgeFDBShow.summaries(text)
        #expect(topo.bridges["br0"]?.fdb == shown["br0"])
        #expect(topo.bridges["br1"]?.fdb == shown["br1"])
    }

    @Test func addresses() throws {
        let files = try Self.names("dump-addr-")
        let addrs = try files.compactMap { try NetlinkMessageDecoder.address(in: FixtureLibrary.captured($0)) }
        let byIndex = Dictionary(grouping: addrs, by: \.linkIndex).mapValues { Set($0.map(\.text)) }
        #expect(byIndex[1] == ["127.0.0.1/8", "::1/128"])
        #expect(byIndex[2] == ["192.0.2.1/24", "2001:db8::1/64", "fe80::9cd6:f9ff:febb:f0c0/64"])
        #expect(byIndex[4] == ["fe80::9cd6:f9ff:febb:f0c0/64"])
        #expect(byIndex[6] == ["fe80::e8e9:2dff:fe86:e93d/64"])
    }
}
