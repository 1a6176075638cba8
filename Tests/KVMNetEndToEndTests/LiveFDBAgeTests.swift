import Foundation
import KVMNetModel
import KVMNetTestSupport
import Testing

/// `/api/v1/fdb`'s `age_seconds` from the agent in its live mode, on this machine's
/// kernel (one FDB get per learned entry), in a namespace of the test's own.
@Suite(.serialized, .enabled(if: LiveTests.enabled(TestNetns.isRoot), "needs root to create network namespaces"))
struct LiveFDBAgeTests {
    init() throws { try LiveTests.require(TestNetns.isRoot, "needs root to create network namespaces") }

    static let vm1MAC = "52:54:00:fd:a6:01", vm2MAC = "52:54:00:fd:a6:02", vnet0MAC = "02:00:00:fd:a6:10"

    struct Answer: Decodable {
        var entries: [FDBLocation]
    }

    /// The answer's entries, raw (to see `null`) and through the model's decoder.
    static func lookup(_ agent: AgentProcess, _ macs: [String]) throws -> (raw: [[String: Any]], entries: [FDBLocation]) {
        let r = try agent.get("/api/v1/fdb?mac=\(macs.joined(separator: ","))")
        #expect(r.status == 200, "\(r.text)")
        let data = Data(r.text.utf8)
        let raw = (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["entries"] as? [[String: Any]] ?? []
        return (raw, try JSONDecoder().decode(Answer.self, from: data).entries)
    }

    @Test func learnedEntryAgesWhileTheVMIsSilent() throws {
        let ns = try TestNetns(prefix: "kvmnet-age")
        let vm1 = try ns.vm("vm1"), vm2 = try ns.vm("vm2")
        try ns.ipIn(["link", "set", "lo", "up"])
        try ns.ipIn(["link", "add", "br0", "type", "bridge"])
        try ns.ipIn(["link", "set", "br0", "up"])
        let macs = [Self.vm1MAC, Self.vm2MAC]
        for (i, vm) in [vm1, vm2].enumerated() {
            // No IPv6 (router solicitations, MLD) and fixed neighbours (no ARP probes): the
            // test's pings are the VMs' only frames.
            _ = try ns.exec(vm, ["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"])
            try ns.ipIn(["link", "add", "vnet\(i)", "type", "veth", "peer", "name", "eth0", "netns", vm])
            try ns.ipIn(vm, ["link", "set", "eth0", "address", macs[i]])
            try ns.ipIn(vm, ["addr", "add", "10.79.0.\(i + 1)/24", "dev", "eth0"])
            try ns.ipIn(vm, ["link", "set", "eth0", "up"])
            try ns.ipIn(vm, ["neigh", "replace", "10.79.0.\(2 - i)", "lladdr", macs[1 - i], "dev", "eth0", "nud", "permanent"])
        }
        try ns.ipIn(["link", "set", "vnet0", "address", Self.vnet0MAC])
        for i in 0..<2 { try ns.ipIn(["link", "set", "vnet\(i)", "master", "br0", "up"]) }
        let agent = try AgentProcess(arguments: [], netns: ns.name)
        defer { agent.stop() }

        // Ports forward a moment after their carrier: ping until vm2 answers.
        var answered = false
        for _ in 0..<20 where !answered {
            answered = try runCommand(ns.ip, ["netns", "exec", vm1, "ping", "-c", "1", "-W", "1", "10.79.0.2"]).status == 0
        }
        #expect(answered, "vm1 must reach vm2 over br0")

        // The entry comes with the agent's event; then its age is small.
        var first: FDBLocation?
        for _ in 0..<100 {
            first = try Self.lookup(agent, [Self.vm1MAC]).entries.first { $0.kind == .learned && $0.port == "vnet0" }
            if first != nil { break }
            usleep(50_000)
        }
        let learned = try #require(first, "vm1's MAC never showed up in /api/v1/fdb: \(agent.log.suffix(2000))")
        let age1 = try #require(learned.ageSeconds, "a learned entry has an age: \(learned)")
        #expect(age1 >= 0 && age1 < 5, "\(learned)")

        // vm1 stays silent: the age grows with the time.
        usleep(2_500_000)
        let (raw, entries) = try Self.lookup(agent, [Self.vm1MAC, Self.vnet0MAC])
        let again = try #require(entries.first { $0.mac == Self.vm1MAC && $0.kind == .learned })
        let age2 = try #require(again.ageSeconds)
        #expect(age2 - age1 >= 2.0, "age \(age1) s, then \(age2) s after 2.5 s of silence")
        #expect(age2 < 60)
        // Two decimals on the wire.
        let text = try agent.get("/api/v1/fdb?mac=\(Self.vm1MAC)").text
        #expect(text.range(of: #""age_seconds":[0-9]+\.[0-9]{2}\}"#, options: .regularExpression) != nil, "\(text)")

        // The port's own address is a local entry: no age, written as null.
        let local = try #require(raw.first { $0["mac"] as? String == Self.vnet0MAC }, "\(raw)")
        #expect(local["kind"] as? String == "local")
        #expect(local["age_seconds"] is NSNull, "\(local)")
        #expect(entries.first { $0.mac == Self.vnet0MAC }?.ageSeconds == nil)

        // A frame refreshes it: the age falls back.
        #expect(try runCommand(ns.ip, ["netns", "exec", vm1, "ping", "-c", "1", "-W", "1", "10.79.0.2"]).status == 0)
        let refreshed = try #require(try Self.lookup(agent, [Self.vm1MAC]).entries.first { $0.kind == .learned }?.ageSeconds)
        #expect(refreshed < age2 && refreshed < 1.5, "\(refreshed) s after a new frame, \(age2) s before")
    }
}

/// Without netlink (`--no-netlink`, the fixture host) the agent has no ages: every entry
/// says `"age_seconds":null`, and the client reads that as unknown.
@Suite struct FDBAgeWithoutNetlinkTests {
    @Test func agesAreNullWithoutNetlink() throws {
        let agent = try AgentProcess(arguments: GoldenMetricsTests.fixtureArgs())
        defer { agent.stop() }
        // A learned MAC and the host's own (local on both bridges) of Tests/Fixtures/kvm-host.
        let r = try agent.get("/api/v1/fdb?mac=52:54:00:aa:0a:01,3c:ec:ef:10:01:00")
        #expect(r.status == 200, "\(r.text)")
        let json = try JSONSerialization.jsonObject(with: Data(r.text.utf8)) as? [String: Any]
        let entries = json?["entries"] as? [[String: Any]] ?? []
        #expect(entries.count == 3, "\(r.text)")
        #expect(entries.allSatisfy { $0["age_seconds"] is NSNull }, "\(r.text)")
        let decoded = try JSONDecoder().decode(LiveFDBAgeTests.Answer.self, from: Data(r.text.utf8)).entries
        #expect(decoded.count == entries.count && decoded.allSatisfy { $0.ageSeconds == nil })
    }
}
