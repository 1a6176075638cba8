import Foundation
import KVMNetTestSupport
import Testing

/// The firewall checks against a real kernel, ping as the ground truth: two namespace VMs
/// on a bridge in a host namespace whose iptables FORWARD policy is DROP, as Docker leaves
/// it, with br_netfilter passing bridged frames to it: through iptables-nft (nf_tables) and
/// through iptables-legacy (x_tables, which nft does not show; kvmnet-diag reads it with
/// iptables-legacy-save, run in the host namespace, whose /proc/net/ip_tables_names lists the
/// tables). The ping fails and kvmnet-diag says why; after the fix the ping works and
/// kvmnet-diag finds no firewall failure.
@Suite(.serialized, .enabled(if: LiveTests.enabled(LiveHost.available), "needs root and iproute2"))
struct LiveFirewallTests {
    init() throws { try LiveTests.require(LiveHost.available, "needs root, iproute2 and /dev/net/tun") }


    @Test func dockersForwardDropIsFoundAndItsFixVerifiedByPing() throws {
        try Self.requireTools(["/usr/sbin/iptables-nft", "/usr/sbin/nft"])
        try LiveBridgedPair.with { lab in try Self.forwardDrop(lab) }
    }

    @Test func iptablesLegacyForwardDropIsFoundAndItsFixVerifiedByPing() throws {
        try Self.requireTools(["/usr/sbin/iptables-legacy", "/usr/sbin/iptables-legacy-save", "/usr/sbin/nft"])
        try LiveBridgedPair.with { lab in try Self.legacyForwardDrop(lab) }
    }

    static func requireTools(_ tools: [String]) throws {
        for t in tools {
            try #require(FileManager.default.isExecutableFile(atPath: t), "\(t) missing: scripts/install-deps installs nftables and iptables")
        }
    }

    /// br_netfilter's switch is per network namespace.
    static func passBridgedFramesToIptables(_ lab: LiveBridgedPair) throws {
        #expect(try lab.inHost(["sh", "-c", "echo 1 > /proc/sys/net/bridge/bridge-nf-call-iptables"]).status == 0)
    }

    static func iptables(_ lab: LiveBridgedPair, _ tool: String, _ rules: [[String]]) throws {
        for rule in rules {
            let r = try lab.inHost([tool] + rule)
            try #require(r.status == 0, "\(tool) \(rule): \(r.stderr)")
        }
    }

    static func ping(_ lab: LiveBridgedPair) throws -> Bool {
        try LiveHost.run(LiveHost.ipPath ?? "ip", ["netns", "exec", lab.vms[0], "ping", "-c", "2", "-W", "1", "10.78.0.2"]).status == 0
    }

    /// kvmnet-diag's path diagnosis vm1 -> vm2, run in the host namespace: its exit status,
    /// the checks that failed (and, last, what firewall.forward_drop_bridged said), and the
    /// finding of firewall.forward_drop_bridged if there is one.
    static func diag(_ lab: LiveBridgedPair) throws -> (status: Int32, checks: [String], forwardDrop: [String: Any]?) {
        let binary = try CLIBinaryTests.binary().path
        let r = try lab.inHost([binary, "diagnose", "vm1", "vm2", "--json", "--libvirt-dir", lab.libvirt.path,
                                "--ifcfg-dir", lab.libvirt.appendingPathComponent("none").path])
        let fails = try LiveHost.findings(r.stdout).map(\.check)
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let outcome = (object?["checks"] as? [[String: Any]])?.first { $0["check"] as? String == "firewall.forward_drop_bridged" }
        let finding = (object?["findings"] as? [[String: Any]])?.first { $0["check"] as? String == "firewall.forward_drop_bridged" }
        return (r.status, fails + ["(firewall.forward_drop_bridged: \(outcome?["status"] ?? "?") \(outcome?["reason"] ?? ""))"], finding)
    }

    static func forwardDrop(_ lab: LiveBridgedPair) throws {
        try passBridgedFramesToIptables(lab)
        try iptables(lab, "iptables-nft", [["-N", "DOCKER-USER"], ["-A", "DOCKER-USER", "-j", "RETURN"], ["-P", "FORWARD", "DROP"], ["-A", "FORWARD", "-j", "DOCKER-USER"]])

        #expect(try ping(lab) == false, "the FORWARD policy DROP must stop the bridged ping")
        let broken = try diag(lab)
        #expect(broken.status == 1)
        #expect(broken.checks.contains("firewall.forward_drop_bridged"), "\(broken.checks)")

        try iptables(lab, "iptables-nft", [["-I", "DOCKER-USER", "-i", "br0", "-o", "br0", "-j", "ACCEPT"]])
        #expect(try ping(lab) == true, "after the DOCKER-USER accept the ping must work")
        let fixed = try diag(lab)
        #expect(fixed.status != 1, "\(fixed.checks)")
        #expect(!fixed.checks.contains { $0.hasPrefix("firewall.") }, "\(fixed.checks)")
    }

    static func legacyForwardDrop(_ lab: LiveBridgedPair) throws {
        try passBridgedFramesToIptables(lab)
        try iptables(lab, "iptables-legacy", [["-P", "FORWARD", "DROP"]])
        // nft does not see it: the drop is x_tables' alone.
        let nft = try lab.inHost(["nft", "list", "ruleset"])
        #expect(nft.status == 0 && !nft.stdout.contains("FORWARD"), "nft shows the legacy chain: \(nft.stdout)")

        #expect(try ping(lab) == false, "iptables-legacy's FORWARD policy DROP must stop the bridged ping")
        let broken = try diag(lab)
        #expect(broken.status == 1)
        #expect(broken.checks.contains("firewall.forward_drop_bridged"), "\(broken.checks)")
        let finding = try #require(broken.forwardDrop, "\(broken.checks)")
        #expect((finding["explanation"] as? String)?.contains("the policy drop of chain iptables-legacy filter FORWARD") == true, "\(finding)")
        let evidence = finding["evidence"] as? [[String: Any]] ?? []
        #expect(evidence.contains { $0["source"] as? String == "iptables-legacy-save" && $0["value"] as? String == "policy drop"
                && $0["attribute"] as? String == "chain iptables-legacy filter FORWARD (hook forward, priority 0)" }, "\(evidence)")

        try iptables(lab, "iptables-legacy", [["-I", "FORWARD", "-m", "physdev", "--physdev-is-bridged", "-j", "ACCEPT"]])
        #expect(try ping(lab) == true, "after the physdev accept the ping must work")
        let fixed = try diag(lab)
        #expect(fixed.status != 1, "\(fixed.checks)")
        #expect(!fixed.checks.contains { $0.hasPrefix("firewall.") }, "\(fixed.checks)")
        #expect(fixed.checks.last?.hasPrefix("(firewall.forward_drop_bridged: pass") == true, "\(fixed.checks)")
    }
}
