import Foundation
import KVMNetTestSupport
import Testing

/// A host namespace with br0 and two namespace VMs (vm1 10.78.0.1, vm2 10.78.0.2) on
/// vnet0, vnet1, their libvirt XML in a directory of its own; removed after the test,
/// failed or not. The firewall and watch live tests build on it.
struct LiveBridgedPair {
    /// What `kvmnet-diag watch` needs beyond ``LiveHost/available``: the kernel's BTF.
    static var available: Bool {
        LiveHost.available && FileManager.default.fileExists(atPath: "/sys/kernel/btf/vmlinux")
    }

    let host: String
    let vms: [String]
    let macs: [String]
    let libvirt: URL
    let id: UInt32

    static func with(_ body: (LiveBridgedPair) throws -> Void) throws {
        let id = UInt32.random(in: 0...UInt32.max)
        let (h, v1, v2) = ("kvmnet-p-h-\(id)", "kvmnet-p-a-\(id)", "kvmnet-p-b-\(id)")
        let libvirt = FileManager.default.temporaryDirectory.appendingPathComponent("kvmnet-pair-\(id)")
        try FileManager.default.createDirectory(at: libvirt, withIntermediateDirectories: true)
        defer {
            for ns in [h, v1, v2] { _ = try? LiveHost.run(LiveHost.ipPath ?? "ip", ["netns", "del", ns]) }
            try? FileManager.default.removeItem(at: libvirt)
        }
        for ns in [h, v1, v2] { try LiveHost.ip(["netns", "add", ns]) }
        try LiveHost.ip(["-n", h, "link", "add", "br0", "type", "bridge", "stp_state", "0", "forward_delay", "0"])
        try LiveHost.ip(["-n", h, "link", "set", "br0", "up"])
        var macs: [String] = []
        for (i, (vm, ns)) in [("vm1", v1), ("vm2", v2)].enumerated() {
            let tap = "vnet\(i)"
            try LiveHost.ip(["-n", h, "link", "add", tap, "type", "veth", "peer", "name", "eth0", "netns", ns])
            try LiveHost.ip(["-n", h, "link", "set", tap, "master", "br0"])
            try LiveHost.ip(["-n", h, "link", "set", tap, "up"])
            try LiveHost.ip(["-n", ns, "addr", "add", "10.78.0.\(i + 1)/24", "dev", "eth0"])
            try LiveHost.ip(["-n", ns, "link", "set", "eth0", "up"])
            let show = try LiveHost.run(LiveHost.ipPath ?? "ip", ["-n", ns, "-br", "link", "show", "eth0"]).stdout
            let mac = try #require(show.split(separator: " ").map(String.init).first { $0.split(separator: ":").count == 6 })
            macs.append(mac)
            try LiveHost.domstatus(name: vm, tap: tap, bridge: "br0", mac: mac)
                .write(to: libvirt.appendingPathComponent("\(vm).xml"), atomically: true, encoding: .utf8)
        }
        try body(LiveBridgedPair(host: h, vms: [v1, v2], macs: macs, libvirt: libvirt, id: id))
    }

    func ip(_ arguments: [String]) throws { try LiveHost.ip(arguments) }

    func inHost(_ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try LiveHost.run(LiveHost.ipPath ?? "ip", ["netns", "exec", host] + args)
    }

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
        /// Whether vm1's ping of vm2, then vm2's of vm1, succeeded.
        var pings: [Bool]
        var elapsed: Double
        /// kvmnet-diag's pid, and `bpftool -j prog show` while it watched and after it ended.
        var pid: Int32
        var during: [[String: Any]]
        var after: [[String: Any]]

        /// Ids of the programs this run's kvmnet-diag says it watched with (`bpf_program_ids`).
        var ownPrograms: [Int] {
            ((try? report())?["bpf_program_ids"] as? [Int]) ?? []
        }

        func report() throws -> [String: Any] {
            try #require(JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any], "not JSON: \(stdout)\n\(stderr)")
        }

        func drops() throws -> [[String: Any]] { try report()["drops"] as? [[String: Any]] ?? [] }
    }

    /// Runs `kvmnet-diag watch vm1 vm2 --json` in the host namespace; once it is attached
    /// (its "watching" line), pings vm2 from vm1 and vm1 from vm2 (three each, `size`
    /// bytes), then waits for its report (or, with `interruptAfterPings`, sends SIGINT).
    func watchWhilePinging(size: Int = 56, seconds: Int = 6, interruptAfterPings: Bool = false) throws -> Run {
        let binary = try CLIBinaryTests.binary().path
        let dir = libvirt.path
        let ip = LiveHost.ipPath ?? "ip"
        let script = """
            \(ip) netns exec \(host) \(binary) watch vm1 vm2 --seconds \(seconds) --json --libvirt-dir \(dir) --ifcfg-dir \(dir)/none > \(dir)/out.json 2> \(dir)/err.txt &
            pid=$!
            echo "pid=$pid"
            i=0; while ! grep -q watching \(dir)/err.txt 2>/dev/null; do
                i=$((i+1)); [ $i -gt 200 ] && break; kill -0 $pid 2>/dev/null || break; sleep 0.1
            done
            \(LiveBridgedPair.bpftool ?? "false") -j prog show > \(dir)/during.json
            \(ip) netns exec \(vms[0]) ping -c 3 -i 0.2 -W 1 -s \(size) 10.78.0.2 > /dev/null 2>&1; echo "ping1=$?"
            \(ip) netns exec \(vms[1]) ping -c 3 -i 0.2 -W 1 -s \(size) 10.78.0.1 > /dev/null 2>&1; echo "ping2=$?"
            \(interruptAfterPings ? "kill -INT $pid" : ":")
            wait $pid; echo "watch=$?"
            \(LiveBridgedPair.bpftool ?? "false") -j prog show > \(dir)/after.json
            """
        let start = Date()
        let r = try LiveHost.run("/bin/sh", ["-c", script])
        let elapsed = Date().timeIntervalSince(start)
        func value(_ key: String) -> Int32? {
            r.stdout.split(separator: "\n").first { $0.hasPrefix(key + "=") }.flatMap { Int32($0.dropFirst(key.count + 1)) }
        }
        let out = (try? String(contentsOfFile: "\(dir)/out.json", encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: "\(dir)/err.txt", encoding: .utf8)) ?? ""
        func programs(_ file: String) -> [[String: Any]] {
            let data = (try? Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(file)"))) ?? Data()
            return (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]] ?? []
        }
        return Run(status: value("watch") ?? -1, stdout: out, stderr: err,
                   pings: [value("ping1") == 0, value("ping2") == 0], elapsed: elapsed,
                   pid: value("pid") ?? -1, during: programs("during.json"), after: programs("after.json"))
    }

    /// The run's kvmnet-diag held its three programs while it watched (by the ids it
    /// reports: other tests may run watches at the same time), and none of them is loaded
    /// after it ended.
    func expectNoProgramLeft(_ run: Run) throws {
        try #require(LiveBridgedPair.bpftool != nil, "bpftool missing: scripts/install-deps installs it")
        let own = run.ownPrograms
        let names = Set(run.during.filter { own.contains($0["id"] as? Int ?? -1) }.compactMap { $0["name"] as? String })
        #expect(names == Set(LiveBridgedPair.programNames), "while watching, bpftool showed \(names) for the ids \(own)")
        let left = run.after.compactMap { $0["id"] as? Int }.filter(own.contains)
        #expect(left.isEmpty, "programs \(left) of kvmnet-diag watch still loaded after it ended")
    }

    static let bpftool = ["/usr/sbin/bpftool", "/sbin/bpftool", "/usr/bin/bpftool"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// The names of watch.bpf.c's programs (the kernel keeps the first 15 characters).
    static let programNames = ["kvmnet_drop", "kvmnet_receive", "kvmnet_transmit"]
}
