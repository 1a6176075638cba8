import Foundation
import KVMNetTestSupport
import Testing

/// Network namespaces made and removed by a test: a private "host" with bridges, veth
/// pairs, taps and namespace "VMs". Removed in `deinit` even when the test fails.
final class TestNetns {
    let name: String
    private(set) var extra: [String] = []
    let ip: String

    init(prefix: String = "kvmnet-e2e") throws {
        ip = findTool("ip") ?? "/sbin/ip"
        name = "\(prefix)-\(UInt32.random(in: 0..<UInt32.max))"
        try run(["netns", "add", name])
    }

    /// Another namespace (a "VM") that is removed with this one.
    func vm(_ suffix: String) throws -> String {
        let n = "\(name)-\(suffix)"
        try run(["netns", "add", n])
        extra.append(n)
        return n
    }

    /// Runs `ip ARGS` in the namespace.
    func ipIn(_ args: [String]) throws { try ipIn(nil, args) }

    func ipIn(_ ns: String?, _ args: [String]) throws {
        try run(["-n", ns ?? name] + args)
    }

    func exec(_ ns: String? = nil, _ args: [String]) throws -> String {
        let out = try runCommand(ip, ["netns", "exec", ns ?? name] + args)
        return out.stdout
    }

    func run(_ args: [String]) throws {
        let out = try runCommand(ip, args)
        if out.status != 0 {
            throw TestHTTPClient.Failure(description: "ip \(args.joined(separator: " ")): \(out.stderr)")
        }
    }

    deinit {
        for n in extra + [name] { _ = try? runCommand(ip, ["netns", "del", n]) }
    }

    static var isRoot: Bool { getuid() == 0 }
}

/// The agent on this machine's real kernel (in a namespace of the test's own), reading
/// the real /proc and /sys: it serves the bridges and links that really exist.
@Suite(.serialized, .enabled(if: LiveTests.enabled(TestNetns.isRoot), "needs root to create network namespaces"))
struct LiveHostTests {
    init() throws { try LiveTests.require(TestNetns.isRoot, "needs root to create network namespaces") }

    @Test func servesTheBridgesPortsAndTapsThatExist() throws {
        let ns = try TestNetns()
        let vm1 = try ns.vm("vm1"), vm2 = try ns.vm("vm2")
        try ns.ipIn(["link", "set", "lo", "up"])
        try ns.ipIn(["link", "add", "br0", "type", "bridge"])
        try ns.ipIn(["link", "set", "br0", "up"])
        for (i, vm) in [vm1, vm2].enumerated() {
            try ns.ipIn(["link", "add", "vnet\(i)", "type", "veth", "peer", "name", "eth0", "netns", vm])
            try ns.ipIn(["link", "set", "vnet\(i)", "master", "br0", "up"])
            try ns.ipIn(vm, ["addr", "add", "10.77.0.\(i + 1)/24", "dev", "eth0"])
            try ns.ipIn(vm, ["link", "set", "eth0", "up"])
        }
        try ns.ipIn(["tuntap", "add", "dev", "vnet9", "mode", "tap"])
        // Traffic between the two "VMs" so the bridge learns their MACs.
        let ping = try runCommand(ns.ip, ["netns", "exec", vm1, "ping", "-c", "2", "-i", "0.2", "-W", "2", "10.77.0.2"])
        #expect(ping.status == 0, "VMs on one bridge must reach each other: \(ping.stdout)")

        let agent = try AgentProcess(arguments: ["--no-netlink"], netns: ns.name)
        defer { agent.stop() }
        let text = try agent.get("/metrics").text
        #expect(text.contains("kvmnet_bridge_ports{bridge=\"br0\"} 2"))
        #expect(text.contains("kvmnet_link_info{device=\"vnet0\",kind=\"veth\",master=\"br0\"} 1"))
        #expect(text.contains("kvmnet_link_info{device=\"vnet9\",kind=\"tap\",master=\"\"} 1"))
        #expect(text.contains("kvmnet_bridge_port_state{bridge=\"br0\",port=\"vnet1\"} 3"))
        #expect(text.contains("kvmnet_link_up{device=\"vnet9\",kind=\"tap\"} 0"))

        // Learned entries per port agree with iproute2's `bridge fdb show`.
        let bridgeTool = try #require(findTool("bridge"))
        let fdb = try runCommand(ns.ip, ["netns", "exec", ns.name, bridgeTool, "fdb", "show", "br", "br0"]).stdout
        for port in ["vnet0", "vnet1"] {
            let learned = fdb.split(separator: "\n").filter {
                $0.contains("dev \(port) ") && !$0.contains("permanent") && !$0.contains("static") && !$0.contains(" self")
            }.count
            #expect(learned >= 1)
            #expect(text.contains("kvmnet_bridge_fdb_entries{bridge=\"br0\",port=\"\(port)\",kind=\"learned\"} \(learned)"),
                    "bridge fdb show: \(learned) learned on \(port)")
        }
    }
}
