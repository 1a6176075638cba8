import Foundation
import KVMNetTestSupport
import Testing

/// The agent in its default, live mode (rtnetlink events) on this machine's kernel, in a
/// namespace of the test's own: FDB sizes equal `bridge fdb show`, flaps are counted as
/// they happen, and after a socket overrun the state equals the kernel's again.
@Suite(.serialized, .enabled(if: LiveTests.enabled(TestNetns.isRoot), "needs root to create network namespaces"))
struct NetlinkAgentTests {
    init() throws { try LiveTests.require(TestNetns.isRoot, "needs root to create network namespaces") }

    func value(_ text: String, _ series: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }
            .flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    /// Polls /metrics until `series` has `want` (events are asynchronous), up to 5 s.
    func waitFor(_ agent: AgentProcess, _ series: String, _ want: Double) throws -> String {
        var text = ""
        for _ in 0..<100 {
            text = try agent.get("/metrics").text
            if value(text, series) == want { return text }
            usleep(50_000)
        }
        return text
    }

    /// (bridge, port, kind) -> count, from iproute2's `bridge fdb show` (entries with "master").
    func fdbShow(_ ns: TestNetns) throws -> [String: Int] {
        let bridgeTool = try #require(findTool("bridge"))
        var out: [String: Int] = [:]
        for line in try ns.exec(nil, [bridgeTool, "fdb", "show"]).split(separator: "\n") {
            let w = line.split(separator: " ").map(String.init)
            guard let m = w.firstIndex(of: "master"), m + 1 < w.count, let d = w.firstIndex(of: "dev") else { continue }
            let kind = line.hasSuffix("permanent") ? "local" : line.hasSuffix("static") ? "static" : "learned"
            out["\(w[m + 1])|\(w[d + 1])|\(kind)", default: 0] += 1
        }
        return out
    }

    @Test func fdbCountsFlapsAndOverrunResync() throws {
        let ns = try TestNetns(prefix: "kvmnet-nl")
        let vm1 = try ns.vm("vm1"), vm2 = try ns.vm("vm2")
        try ns.ipIn(["link", "set", "lo", "up"])
        try ns.ipIn(["link", "add", "br0", "type", "bridge"])
        try ns.ipIn(["link", "set", "br0", "up"])
        // Small receive buffer: a burst overflows it.
        let agent = try AgentProcess(arguments: ["--netlink.receive-buffer=4096"], netns: ns.name)
        defer { agent.stop() }

        for (i, vm) in [vm1, vm2].enumerated() {
            try ns.ipIn(["link", "add", "vnet\(i)", "type", "veth", "peer", "name", "eth0", "netns", vm])
            try ns.ipIn(["link", "set", "vnet\(i)", "master", "br0", "up"])
            try ns.ipIn(vm, ["addr", "add", "10.78.0.\(i + 1)/24", "dev", "eth0"])
            try ns.ipIn(vm, ["link", "set", "eth0", "up"])
        }
        let bridgeTool = try #require(findTool("bridge"))
        _ = try ns.exec(nil, [bridgeTool, "fdb", "add", "02:00:00:00:00:aa", "dev", "vnet1", "master", "static"])
        let ping = try runCommand(ns.ip, ["netns", "exec", vm1, "ping", "-c", "2", "-i", "0.2", "-W", "2", "10.78.0.2"])
        #expect(ping.status == 0)

        // FDB: every (bridge, port, kind) of `bridge fdb show` is in /metrics with the same count.
        var want = try fdbShow(ns)
        #expect(want["br0|vnet1|static"] == 1)
        #expect((want["br0|vnet0|learned"] ?? 0) >= 1)
        var text = try waitFor(agent, "kvmnet_bridge_fdb_entries{bridge=\"br0\",port=\"vnet1\",kind=\"static\"}", 1)
        for (key, n) in want {
            let k = key.split(separator: "|").map(String.init)
            #expect(value(text, "kvmnet_bridge_fdb_entries{bridge=\"\(k[0])\",port=\"\(k[1])\",kind=\"\(k[2])\"}") == Double(n), "\(key)")
        }

        // Flaps of a VM's link: each is counted as it happens (vnet0 came up once already).
        let upsBefore = value(text, "kvmnet_link_transitions_total{device=\"vnet0\",to=\"up\"}") ?? -1
        for _ in 0..<3 {
            try ns.ipIn(vm1, ["link", "set", "eth0", "down"])
            _ = try waitFor(agent, "kvmnet_link_up{device=\"vnet0\",kind=\"veth\"}", 0)
            try ns.ipIn(vm1, ["link", "set", "eth0", "up"])
            _ = try waitFor(agent, "kvmnet_link_up{device=\"vnet0\",kind=\"veth\"}", 1)
        }
        text = try agent.get("/metrics").text
        let downs = (value(text, "kvmnet_link_transitions_total{device=\"vnet0\",to=\"lowerlayerdown\"}") ?? 0)
            + (value(text, "kvmnet_link_transitions_total{device=\"vnet0\",to=\"down\"}") ?? 0)
        #expect(downs == 3)
        #expect(value(text, "kvmnet_link_transitions_total{device=\"vnet0\",to=\"up\"}") == upsBefore + 3)

        // A burst larger than the 4 KiB buffer: the agent re-reads and ends at the kernel's state.
        var batch = ""
        for i in 0..<150 { batch += "link add bx\(i) type bridge\n" }
        for i in stride(from: 0, to: 150, by: 2) { batch += "link del bx\(i)\n" }
        let file = NSTemporaryDirectory() + "kvmnet-batch-\(UUID().uuidString)"
        try batch.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        try ns.ipIn(["-batch", file])
        let kernelLinks = try ns.exec(nil, [ns.ip, "-o", "link", "show"]).split(separator: "\n")
            .compactMap { $0.split(separator: ":").dropFirst().first?.trimmingCharacters(in: " ").split(separator: "@").first.map(String.init) }
            .filter { $0 != "lo" }
        var seen: Set<String> = []
        for _ in 0..<100 {
            text = try agent.get("/metrics").text
            seen = Set(text.split(separator: "\n").filter { $0.hasPrefix("kvmnet_link_info{") }.compactMap {
                $0.split(separator: "\"").dropFirst().first.map(String.init)
            })
            if seen == Set(kernelLinks) { break }
            usleep(100_000)
        }
        #expect(seen == Set(kernelLinks))
        #expect((value(text, "kvmnet_netlink_resyncs_total") ?? 0) >= 1)
        #expect(value(text, "kvmnet_link_info{device=\"bx1\",kind=\"bridge\",master=\"\"}") == 1)
        #expect(value(text, "kvmnet_link_info{device=\"bx0\",kind=\"bridge\",master=\"\"}") == nil)
        want = try fdbShow(ns)
        #expect(value(text, "kvmnet_bridge_fdb_entries{bridge=\"br0\",port=\"vnet1\",kind=\"static\"}") == Double(want["br0|vnet1|static"] ?? -1))
    }
}
