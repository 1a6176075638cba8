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
            #expect(expected.allSatisfy { $0.change != nil }, "\(name): an entry with no change")
            #expect(changes.count == expected.count, "\(name): \(changes.count) changes, expected \(expected.count)")
            for (got, want) in zip(changes, expected) {
                #expect(want.blanking(got) == got, "\(name)")
            }
        }
    }

    @Test func corpusIsNotEmpty() {
        #expect(FixtureLibrary.allMessageNames().count >= 20)
    }

    /// Every message of this machine's capture has expected values (made from iproute2's
    /// view of the same moment by `Fixtures/make-expected.py`), so none is only "decodes".
    /// The lab captures are checked against iproute2 by `LabCaptureTests`.
    @Test func everyCapturedMessageHasExpectedValues() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: FixtureLibrary.capturedHere.path)
        let messages = files.filter { $0.hasSuffix(".nlmsg") }.map { String($0.dropLast(".nlmsg".count)) }
        #expect(messages.count >= 60)
        let missing = messages.filter { !files.contains($0 + ".expected.json") }
        #expect(missing.isEmpty, "no .expected.json (run Fixtures/make-expected.py): \(missing.sorted())")
        // And some of them say something: not all "[]".
        let changes = try messages.map { try NetlinkMessageDecoder.changes(in: FixtureLibrary.captured($0)) }
        #expect(changes.filter { !$0.isEmpty }.count >= 25)
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

    /// Fields the source of the expected values does not show, left out of the comparison
    /// (`"link.carrierChanges"`: iproute2's decoding of a single message omits it).
    var unchecked: [String]?

    /// `change` with the unchecked fields of `decoded` copied in, for the comparison.
    func blanking(_ decoded: TopologyChange) -> TopologyChange? {
        guard var want = change else { return nil }
        for field in unchecked ?? [] {
            switch (field, decoded, want) {
            case ("link.carrierChanges", .linkUpdated(let got), .linkUpdated(var u)):
                u.link.carrierChanges = got.link.carrierChanges
                want = .linkUpdated(u)
            default:
                return nil  // an unknown field name: fail the comparison
            }
        }
        return want
    }

    var change: TopologyChange? {
        if let u = linkUpdated { return .linkUpdated(u) }
        if let r = linkRemoved { return .linkRemoved(index: r.index, name: r.name) }
        if let v = bridgeVLANsUpdated { return .bridgeVLANsUpdated(index: v.index, name: v.name, vlans: v.vlans) }
        if let e = fdbAdded { return .fdbAdded(e) }
        if let e = fdbRemoved { return .fdbRemoved(e) }
        return nil
    }
}
