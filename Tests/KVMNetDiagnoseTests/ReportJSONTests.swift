import Foundation
import KVMNetDiagnose
import Testing

/// The JSON schema of docs/diag-json.md: keys present (null when unknown), names stable.
@Suite struct ReportJSONTests {
    private func object(_ report: DiagReport) throws -> [String: Any] {
        let json = try JSONSerialization.jsonObject(with: Data(report.jsonBytes()))
        return try #require(json as? [String: Any])
    }

    @Test func topLevelKeys() throws {
        let top = try object(try Lab.kvmLayout().snapshot().report(.path(from: "vm1", to: "vm2")))
        #expect(Set(top.keys) == [
            "schema_version", "tool", "version", "host", "taken_at", "running_as_root", "request", "status",
            "exit_code", "verdict", "path", "findings", "summary", "checks", "data_errors", "request_errors", "hosts",
        ])
        #expect(top["schema_version"] as? Int == 1)
        #expect(top["tool"] as? String == "kvmnet-diag")
        #expect(top["status"] as? String == "fail")
        #expect(top["exit_code"] as? Int == 1)
        let request = try #require(top["request"] as? [String: Any])
        #expect(request["mode"] as? String == "path")
        #expect(request["from"] as? String == "vm1")
        #expect(request["to"] as? String == "vm2")
    }

    @Test func findingItemKeysAndEvidence() throws {
        let top = try object(try Lab.kvmLayout().snapshot().report(.path(from: "vm1", to: "vm2")))
        let findings = try #require(top["findings"] as? [[String: Any]])
        let first = try #require(findings.first)
        #expect(Set(first.keys) == ["check", "severity", "subject", "explanation", "evidence", "fix", "devices", "host"])
        #expect(first["check"] as? String == "path.vlan_mismatch")
        #expect(first["severity"] as? String == "fail")
        let evidence = try #require(first["evidence"] as? [[String: Any]])
        #expect(evidence.allSatisfy { Set($0.keys) == ["source", "file", "line", "attribute", "value"] })
        let master = try #require(evidence.first)
        #expect(master["file"] as? String == "/sys/class/net/vnet0/master")
        #expect(master["line"] is NSNull)
    }

    @Test func pathAndSummaryKeys() throws {
        let top = try object(try Lab.kvmLayout().snapshot().report(.path(from: "vm1", to: "vm2")))
        let path = try #require(top["path"] as? [String: Any])
        #expect(Set(path.keys) == ["from", "to", "relation", "shares_segment", "routed_by_host", "rendered", "from_hops", "to_hops"])
        #expect(path["relation"] as? String == "vlan_mismatch")
        #expect(path["rendered"] as? String == "vm1 vnet0 -- brvlan-10 -- bond0.10 [vlan 10]  X  bond0.20 [vlan 20] -- brvlan-20 -- vnet1 vm2")
        let hops = try #require(path["from_hops"] as? [[String: Any]])
        #expect(hops.map { $0["kind"] as? String } == ["endpoint", "bridge", "vlan", "bond", "slaves"])
        #expect(Set(hops[0].keys) == ["kind", "name", "domain", "vlan_id", "pvid", "devices", "failures"])
        let summary = try #require(top["summary"] as? [String: Any])
        #expect(Set(summary.keys) == ["checks", "passed", "info", "warned", "failed", "skipped", "skipped_checks"])
        #expect(summary["failed"] as? Int == 1)
        let checks = try #require(top["checks"] as? [[String: Any]])
        #expect(checks.allSatisfy { Set($0.keys) == ["check", "status", "reason", "host"] })
    }

    @Test func hostModeHasNullPath() throws {
        let top = try object(try Lab.kvmLayout().snapshot().report())
        #expect(top["path"] is NSNull)
        #expect((top["findings"] as? [Any])?.isEmpty == true)
        #expect((top["request"] as? [String: Any])?["from"] is NSNull)
    }

    @Test func reportRoundTrips() throws {
        let report = try Lab.kvmLayout().snapshot().report(.path(from: "vm1", to: "vm2"))
        let decoded = try JSONDecoder().decode(DiagReport.self, from: Data(report.jsonBytes()))
        #expect(decoded == report)
    }
}
