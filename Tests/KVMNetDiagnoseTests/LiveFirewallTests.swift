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
        let id = UInt32.random(in: 0...UInt32.max)
        let (h, v1, v2) = ("kvmnet-fw-h-\(id)", "kvmnet-fw-a-\(id)", "kvmnet-fw-b-\(id)")
        let libvirt = FileManager.default.temporaryDirectory.appendingPathComponent("kvmnet-fw-\(id)")
        try FileManager.default.createDirectory(at: libvirt, withIntermediateDirectories: true)
        defer {
            for ns in [h, v1, v2] { _ = try? LiveHost.run(LiveHost.ipPath ?? "ip", ["netns", "del", ns]) }
            try? FileManager.default.removeItem(at: libvirt)
        }
        for ns in [h, v1, v2] { try LiveHost.ip(["netns", "add", ns]) }
        try LiveHost.ip(["-n", h, "link", "add", "br0", "type", "bridge", "stp_state", "0", "forward_delay", "0"])
        try LiveHost.ip(["-n", h, "link", "set", "br0", "up"])
        for (i, (vm, ns)) in [("vm1", v1), ("vm2", v2)].enumerated() {
            let tap = "vnet\(i)"
            try LiveHost.ip(["-n", h, "link", "add", tap, "type", "veth", "peer", "name", "eth0", "netns", ns])
            try LiveHost.ip(["-n", h, "link", "set", tap, "master", "br0"])
            try LiveHost.ip(["-n", h, "link", "set", tap, "up"])
            try LiveHost.ip(["-n", ns, "addr", "add", "10.77.0.\(i + 1)/24", "dev", "eth0"])
            try LiveHost.ip(["-n", ns, "link", "set", "eth0", "up"])
            let show = try LiveHost.run(LiveHost.ipPath ?? "ip", ["-n", ns, "-br", "link", "show", "eth0"]).stdout
            let mac = try #require(show.split(separator: " ").map(String.init).first { $0.split(separator: ":").count == 6 })
            try LiveHost.domstatus(name: vm, tap: tap, bridge: "br0", mac: mac)
                .write(to: libvirt.appendingPathComponent("\(vm).xml"), atomically: true, encoding: .utf8)
        }
        func inHost(_ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
            try LiveHost.run(LiveHost.ipPath ?? "ip", ["netns", "exec", h] + args)
        }
        // br_netfilter's switch is per network namespace.
        #expect(try inHost(["sh", "-c", "echo 1 > /proc/sys/net/bridge/bridge-nf-call-iptables"]).status == 0)
        for rule in [["-N", "DOCKER-USER"], ["-A", "DOCKER-USER", "-j", "RETURN"], ["-P", "FORWARD", "DROP"], ["-A", "FORWARD", "-j", "DOCKER-USER"]] {
            let r = try inHost(["iptables-nft"] + rule)
            try #require(r.status == 0, "iptables-nft \(rule): \(r.stderr)")
        }
        func ping() throws -> Bool {
            try LiveHost.run(LiveHost.ipPath ?? "ip", ["netns", "exec", v1, "ping", "-c", "2", "-W", "1", "10.77.0.2"]).status == 0
        }
        func diag() throws -> (status: Int32, checks: [String]) {
            let binary = try CLIBinaryTests.binary().path
            let r = try inHost([binary, "diagnose", "vm1", "vm2", "--json", "--libvirt-dir", libvirt.path,
                                "--ifcfg-dir", libvirt.appendingPathComponent("none").path])
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
