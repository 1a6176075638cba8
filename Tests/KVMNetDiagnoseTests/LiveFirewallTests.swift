import Foundation
import KVMNetTestSupport
import Testing

/// The firewall checks against a real kernel, ping as the ground truth: two namespace VMs
/// on a bridge in a host namespace whose iptables (iptables-nft) FORWARD policy is DROP, as
/// Docker leaves it, with br_netfilter passing bridged frames to it. The ping fails and
/// kvmnet-diag says why; after the DOCKER-USER accept the ping works and kvmnet-diag finds
/// no firewall failure.
@Suite(.serialized, .enabled(if: LiveTests.enabled(LiveHost.available), "needs root and iproute2"))
struct LiveFirewallTests {
    init() throws { try LiveTests.require(LiveHost.available, "needs root, iproute2 and /dev/net/tun") }


    @Test func dockersForwardDropIsFoundAndItsFixVerifiedByPing() throws {
        for t in ["/usr/sbin/iptables-nft", "/usr/sbin/nft"] {
            try #require(FileManager.default.isExecutableFile(atPath: t), "\(t) missing: scripts/install-deps installs nftables and iptables")
        }
        try LiveBridgedPair.with { lab in try Self.forwardDrop(lab) }
    }

    static func forwardDrop(_ lab: LiveBridgedPair) throws {
        func inHost(_ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) { try lab.inHost(args) }
        // br_netfilter's switch is per network namespace.
        #expect(try inHost(["sh", "-c", "echo 1 > /proc/sys/net/bridge/bridge-nf-call-iptables"]).status == 0)
        for rule in [["-N", "DOCKER-USER"], ["-A", "DOCKER-USER", "-j", "RETURN"], ["-P", "FORWARD", "DROP"], ["-A", "FORWARD", "-j", "DOCKER-USER"]] {
            let r = try inHost(["iptables-nft"] + rule)
            try #require(r.status == 0, "iptables-nft \(rule): \(r.stderr)")
        }
        func ping() throws -> Bool {
            try LiveHost.run(LiveHost.ipPath ?? "ip", ["netns", "exec", lab.vms[0], "ping", "-c", "2", "-W", "1", "10.78.0.2"]).status == 0
        }
        func diag() throws -> (status: Int32, checks: [String]) {
            let binary = try CLIBinaryTests.binary().path
            let r = try inHost([binary, "diagnose", "vm1", "vm2", "--json", "--libvirt-dir", lab.libvirt.path,
                                "--ifcfg-dir", lab.libvirt.appendingPathComponent("none").path])
            let fails = try LiveHost.findings(r.stdout).map(\.check)
            let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
            let outcome = (object?["checks"] as? [[String: Any]])?.first { $0["check"] as? String == "firewall.forward_drop_bridged" }
            return (r.status, fails + ["(firewall.forward_drop_bridged: \(outcome?["status"] ?? "?") \(outcome?["reason"] ?? ""))"])
        }

        #expect(try ping() == false, "the FORWARD policy DROP must stop the bridged ping")
        let broken = try diag()
        #expect(broken.status == 1)
        #expect(broken.checks.contains("firewall.forward_drop_bridged"), "\(broken.checks)")

        let fix = try inHost(["iptables-nft", "-I", "DOCKER-USER", "-i", "br0", "-o", "br0", "-j", "ACCEPT"])
        try #require(fix.status == 0, "\(fix.stderr)")
        #expect(try ping() == true, "after the DOCKER-USER accept the ping must work")
        let fixed = try diag()
        #expect(fixed.status != 1, "\(fixed.checks)")
        #expect(!fixed.checks.contains { $0.hasPrefix("firewall.") }, "\(fixed.checks)")
    }
}
