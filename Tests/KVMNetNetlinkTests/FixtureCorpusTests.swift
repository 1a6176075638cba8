import Foundation
import KVMNetModel
import KVMNetNetlink
import Testing

/// Every fixture under `Fixtures/` decodes without error, whoever captured it; a fixture
/// with a `<name>.expected.json` must decode to exactly that (see `Fixtures/README.md`).
/// New captures (the qemu lab's bond and VLAN messages) are picked up by dropping files in.
@Suite struct FixtureCorpusTests {
    @Test("every fixture decodes", arguments: FixtureLibrary.allMessageNames())
    func decodes(_ name: String) throws {
        let bytes = try FixtureLibrary.bytes(name)
        let changes = try NetlinkMessageDecoder.changes(in: bytes)
        if ProcessInfo.processInfo.environment["KVMNET_PRINT_FIXTURES"] == "1" {
            print("FIXTURE \(name): \(changes)")
        }
        let expectedURL = FixtureLibrary.root.appendingPathComponent(name)
            .deletingPathExtension().appendingPathExtension("expected.json")
        if let data = try? Data(contentsOf: expectedURL) {
            let expected = try JSONDecoder().decode([ExpectedChange].self, from: data)
            #expect(changes == expected.map(\.change))
        }
    }

    @Test func corpusIsNotEmpty() {
        #expect(FixtureLibrary.allMessageNames().count >= 20)
    }
}

/// One expected change in a fixture's `.expected.json`: exactly one key is set.
/// `{"linkUpdated": <LinkUpdate>}`, `{"linkRemoved": {"index": 7, "name": "tap0"}}`,
/// `{"fdbAdded": <FDBEntry>}`, `{"fdbRemoved": <FDBEntry>}`,
/// `{"bridgeVLANsUpdated": {"index": 7, "name": "trunk0", "vlans": <BridgeVLANSet> or null}}`.
struct ExpectedChange: Codable {
    struct Removed: Codable {
        var index: Int
        var name: String
    }

    struct VLANs: Codable {
        var index: Int
        var name: String
        var vlans: BridgeVLANSet?
    }

    var linkUpdated: LinkUpdate?
    var linkRemoved: Removed?
    var fdbAdded: FDBEntry?
    var fdbRemoved: FDBEntry?
    var bridgeVLANsUpdated: VLANs?

    var change: TopologyChange? {
        if let u = linkUpdated { return .linkUpdated(u) }
        if let r = linkRemoved { return .linkRemoved(index: r.index, name: r.name) }
        if let v = bridgeVLANsUpdated { return .bridgeVLANsUpdated(index: v.index, name: v.name, vlans: v.vlans) }
        if let e = fdbAdded { return .fdbAdded(e) }
        if let e = fdbRemoved { return .fdbRemoved(e) }
        return nil
    }
}
