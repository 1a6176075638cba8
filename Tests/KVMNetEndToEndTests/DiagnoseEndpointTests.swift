import Foundation
import Testing

/// `/diagnose` serves kvmnet-diag's JSON report from the agent's in-memory model.
@Suite(.serialized)
struct DiagnoseEndpointTests {
    func json(_ r: TestHTTPResponse) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any])
    }

    func findings(_ j: [String: Any]) -> [[String: Any]] {
        (j["findings"] as? [[String: Any]]) ?? []
    }

    func agent() throws -> AgentProcess {
        try AgentProcess(arguments: GoldenMetricsTests.fixtureArgs() + [
            "--libvirt-dir=/nonexistent-libvirt", "--ifcfg-dir=/nonexistent-ifcfg"])
    }

    @Test func wholeHostReportNamesTheFixturesFaults() throws {
        let a = try agent()
        defer { a.stop() }
        let r = try a.get("/diagnose")
        #expect(r.status == 200)
        #expect(r.headers["content-type"] == "application/json")
        let j = try json(r)
        let f = findings(j)
        let ids = Set(f.compactMap { $0["check"] as? String })
        #expect(ids.contains("bond.degraded"))
        #expect(ids.contains("bond.lacp_no_partner"))
        let degraded = f.first { $0["check"] as? String == "bond.degraded" }
        #expect(degraded?["subject"] as? String == "bond0")
        #expect(degraded?["severity"] as? String == "warn" || degraded?["severity"] as? String == "fail")
        let lacp = f.first { $0["check"] as? String == "bond.lacp_no_partner" }
        #expect(lacp?["subject"] as? String == "bond2")
        #expect(j["summary"] != nil)
    }

    @Test func pathBetweenTwoTapsOnDifferentVLANs() throws {
        let a = try agent()
        defer { a.stop() }
        let j = try json(try a.get("/diagnose?from=vnet0&to=vnet1"))
        let mismatch = findings(j).first { $0["check"] as? String == "path.vlan_mismatch" }
        let text = "\(mismatch?["explanation"] ?? "")"
        #expect(text.contains("10"))
        #expect(text.contains("20"))
        #expect(j["path"] != nil)
    }

    @Test func parametersThatCouldReachTheFilesystemAreRefused() throws {
        let a = try agent()
        defer { a.stop() }
        #expect(try a.get("/diagnose?from=../../etc/passwd&to=x").status == 400)
        #expect(try a.get("/diagnose?from=a%3Bls&to=b").status == 400)
        #expect(try a.get("/diagnose?file=x").status == 400)
        #expect(try a.get("/diagnose?to=vnet1").status == 400)
    }
}
