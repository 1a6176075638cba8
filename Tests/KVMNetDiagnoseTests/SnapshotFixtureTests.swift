import Foundation
import KVMNetDiagnose
import Testing

/// The committed snapshot fixture (what `kvmnet-diag snapshot` writes) still decodes, and
/// equals the lab layout built in code. Set KVMNET_WRITE_FIXTURES=1 to rewrite it after a
/// deliberate format change.
@Suite struct SnapshotFixtureTests {
    static let file = "snapshots/lab-vlan-mismatch.json"

    @Test func fixtureDecodesToTheLabLayout() throws {
        let expected = try Lab.kvmLayout().snapshot()
        if ProcessInfo.processInfo.environment["KVMNET_WRITE_FIXTURES"] == "1" {
            try Data(expected.jsonBytes()).write(to: URL(fileURLWithPath: FixtureFiles.path(Self.file)))
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: FixtureFiles.path(Self.file)))
        let decoded = try JSONDecoder().decode(DiagSnapshot.self, from: data)
        #expect(decoded == expected)
        #expect(decoded.report(.path(from: "vm1", to: "vm2")).findings.first?.check == "path.vlan_mismatch")
    }

    @Test func snapshotRoundTripsAndDecodesLeniently() throws {
        let snapshot = try Lab.kvmLayout().snapshot()
        #expect(try JSONDecoder().decode(DiagSnapshot.self, from: Data(snapshot.jsonBytes())) == snapshot)
        let minimal = try JSONDecoder().decode(DiagSnapshot.self, from: Data(#"{"topology":{"links":{},"bonds":{},"bridges":{},"vlans":{}}}"#.utf8))
        #expect(minimal.facts.domains.isEmpty)
        #expect(minimal.fdbMoves == nil)
        #expect(minimal.report().outcome("vm.tap_detached")?.status == .skipped)
    }
}
