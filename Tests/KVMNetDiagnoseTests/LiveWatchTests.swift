import Foundation
import KVMNetTestSupport
import Testing

/// `kvmnet-diag watch` against this machine's kernel, ping as the ground truth: two
/// namespace VMs on a bridge in a host namespace, one planted drop per test (an nft
/// `bridge` family rule, iptables' FORWARD policy DROP with br_netfilter, an MTU too small,
/// a port that does not forward), each named at the right device with the right cause while a ping
/// runs both ways; a healthy pair shows no drop; and no BPF program stays attached,
/// after the watch's end or its SIGINT. The VLAN-aware cases run in the kernel lab
/// (Tests/KernelLab/scenarios/watch.sh): this kernel has no bridge VLAN filtering.
@Suite(.serialized, .enabled(if: LiveTests.enabled(LiveBridgedPair.available), "needs root, iproute2, BTF"))
struct LiveWatchTests {
    init() throws { try LiveTests.require(LiveBridgedPair.available, "needs root, iproute2 and /sys/kernel/btf/vmlinux") }

    @Test func healthyPairShowsFramesAndNoDrop() throws {
        try LiveBridgedPair.with { lab in
            let run = try lab.watchWhilePinging()
            #expect(run.pings == [true, true], "ground truth: both pings succeed")
            #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
            let report = try run.report()
            #expect((report["drops"] as? [Any])?.isEmpty == true)
            let frames = report["frames"] as? [[String: Any]] ?? []
            #expect(frames.contains { $0["device"] as? String == "vnet0" && $0["event"] as? String == "received" && ($0["count"] as? Int ?? 0) > 0 })
            #expect(frames.contains { $0["device"] as? String == "vnet1" && $0["event"] as? String == "sent" && ($0["count"] as? Int ?? 0) > 0 })
            try lab.expectNoProgramLeft(run)
        }
    }

    @Test func nftBridgeFamilyDropIsNamedAsTheFirewall() throws {
        try LiveBridgedPair.with { lab in
            for cmd in ["add table bridge kvmnet_t", "add chain bridge kvmnet_t kvmnet_forward { type filter hook forward priority 0 ; policy accept ; }",
                        "add rule bridge kvmnet_t kvmnet_forward ether daddr \(lab.macs[1]) drop"] {
                let r = try lab.inHost(["nft", cmd])
                try #require(r.status == 0, "nft \(cmd): \(r.stderr)")
            }
            let run = try lab.watchWhilePinging()
            #expect(run.pings == [false, false], "ground truth: the pings fail")
            #expect(run.status == 1, "\(run.stdout)\n\(run.stderr)")
            let drops = try run.drops()
            let drop = try #require(drops.first { $0["reason"] as? String == "NETFILTER_DROP" }, "\(drops)")
            #expect(["vnet0", "vnet1"].contains(drop["device"] as? String ?? ""))
            #expect((drop["cause"] as? String ?? "").hasPrefix("a netfilter rule or chain policy of the host firewall dropped them"))
            // nf_hook_slow frees it on 6.1; newer kernels free it in nft_do_chain.
            #expect(["nf_hook_slow", "nft_do_chain"].contains { (drop["function"] as? String ?? "").hasPrefix($0) }, "\(drop)")
            #expect(drop["direction"] as? String == "a_to_b")
            try lab.expectNoProgramLeft(run)
        }
    }

    @Test func iptablesForwardPolicyDropWithBrNetfilterIsNamedAsTheFirewall() throws {
        try LiveBridgedPair.with { lab in
            try #require(FileManager.default.isExecutableFile(atPath: "/usr/sbin/iptables-nft"), "scripts/install-deps installs iptables")
            _ = try LiveHost.run("/usr/sbin/modprobe", ["br_netfilter"])
            #expect(try lab.inHost(["sh", "-c", "echo 1 > /proc/sys/net/bridge/bridge-nf-call-iptables"]).status == 0)
            #expect(try lab.inHost(["iptables-nft", "-P", "FORWARD", "DROP"]).status == 0)
            let run = try lab.watchWhilePinging()
            #expect(run.pings == [false, false], "ground truth: the pings fail")
            #expect(run.status == 1, "\(run.stdout)\n\(run.stderr)")
            let drops = try run.drops()
            let drop = try #require(drops.first { $0["reason"] as? String == "NETFILTER_DROP" }, "\(drops)")
            #expect(["vnet0", "vnet1"].contains(drop["device"] as? String ?? ""))
            #expect((drop["checks"] as? [String] ?? []).contains("firewall.forward_drop_bridged"), "joined with the static check: \(drop)")
            try lab.expectNoProgramLeft(run)
        }
    }

    @Test func tooSmallMTUIsNamedAtThePort() throws {
        try LiveBridgedPair.with { lab in
            try lab.ip(["-n", lab.host, "link", "set", "vnet1", "mtu", "1000"])
            let run = try lab.watchWhilePinging(size: 1200)
            #expect(run.pings == [false, false], "ground truth: 1200-byte pings fail")
            #expect(run.status == 1, "\(run.stdout)\n\(run.stderr)")
            let drops = try run.drops()
            let drop = try #require(drops.first { $0["direction"] as? String == "a_to_b" && ($0["cause"] as? String ?? "").contains("larger than the MTU of vnet1 (1000)") }, "\(drops)")
            // vm2's own 1200-byte pings never reach the host: the veth crossing refuses them
            // in vm2's namespace, for vnet1's MTU.
            #expect(drops.contains { $0["direction"] as? String == "b_to_a" && ($0["cause"] as? String ?? "").contains("larger than the MTU of vnet1 (1000)") }, "\(drops)")
            #expect(drop["device"] as? String == "vnet1")
            #expect(drop["source"] as? String == "kernel")
            try lab.expectNoProgramLeft(run)
        }
    }

    /// A port that does not forward. Not "blocking": with STP off the kernel's port state
    /// selection turns a port set to blocking back to forwarding at once; disabled stays.
    @Test func portNotForwardingIsNamedWithItsState() throws {
        try LiveBridgedPair.with { lab in
            #expect(try lab.inHost(["bridge", "link", "set", "dev", "vnet1", "state", "0"]).status == 0)
            #expect(try lab.inHost(["bridge", "link", "show", "dev", "vnet1"]).stdout.contains("state disabled"))
            let run = try lab.watchWhilePinging()
            #expect(run.pings == [false, false], "ground truth: the pings fail")
            #expect(run.status == 1, "\(run.stdout)\n\(run.stderr)")
            let drops = try run.drops()
            // vm2's frames are refused on vnet1; vm1's are never sent to it.
            #expect(drops.contains { $0["device"] as? String == "vnet1" && $0["direction"] as? String == "b_to_a"
                        && ($0["cause"] as? String ?? "").contains("vnet1 is in STP state disabled") }, "\(drops)")
            try lab.expectNoProgramLeft(run)
        }
    }

    @Test func sigintDetachesAndStillReports() throws {
        try LiveBridgedPair.with { lab in
            let run = try lab.watchWhilePinging(seconds: 60, interruptAfterPings: true)
            #expect(run.pings == [true, true])
            #expect(run.status == 0, "SIGINT ends the watch early, with its report: \(run.stdout)\n\(run.stderr)")
            #expect(run.elapsed < 30, "it stopped at SIGINT, not after 60 s")
            #expect((try run.report()["frames"] as? [Any])?.isEmpty == false)
            try lab.expectNoProgramLeft(run)
        }
    }
}
