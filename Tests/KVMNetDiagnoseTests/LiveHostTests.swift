import Foundation
import KVMNetTestSupport
import Testing

/// Bridge and VM checks on a real kernel: a private network namespace with bridges,
/// veth "VM NICs", a tap without a process, and libvirt domstatus files written by the
/// test; `kvmnet-diag` runs inside it through `ip netns exec` (which also gives it the
/// namespace's /sys), once with the netlink dump and once with `--no-netlink`.
@Suite(.serialized, .enabled(if: LiveTests.enabled(LiveHost.available), "needs root and iproute2"))
struct LiveHostTests {
    init() throws { try LiveTests.require(LiveHost.available, "needs root, iproute2 and /dev/net/tun") }

    @Test(arguments: [false, true])
    func bridgeAndVMChecksFireOnARealKernel(noNetlink: Bool) throws {
        try LiveHost.with { host in
            let report = try host.diag(["--json"] + (noNetlink ? ["--no-netlink"] : []))
            #expect(report.status == 1)
            let findings = try LiveHost.findings(report.stdout)
            let got = Set(findings.map { "\($0.check) \($0.subject)" })
            #expect(got.isSuperset(of: [
                "vm.tap_down vm3 vnet2",
                "vm.tap_detached vm4 vnet3",
                "vm.tap_wrong_bridge vm5 vnet4",
                "vm.duplicate_mac 52:54:00:00:00:01",
                "bridge.down br-down",
                "bridge.no_uplink br0",
                "bridge.address_on_port vnet1",
            ]), "\(got.sorted())")
            // Healthy VMs raise nothing about themselves.
            #expect(!got.contains { $0.hasSuffix(" vm1 vnet0") || $0.hasSuffix(" vm2 vnet1") })
        }
    }

    @Test func pathOnOneRealBridgeAndAcrossTwoIsolatedOnes() throws {
        try LiveHost.with { host in
            let same = try host.diag(["diagnose", "vm1", "vm2"])
            #expect(same.status == 2, "\(same.stdout)")
            #expect(same.stdout.contains("\n  vm1 vnet0 -- br0 -- vnet1 vm2\n"))
            let apart = try host.diag(["diagnose", "vm1", "vm5"])
            #expect(apart.status == 1)
            // vnet4 is also on the wrong bridge (its XML says br0): that hop is marked too.
            #expect(apart.stdout.contains("\n  vm1 vnet0 -- br0  X  br1  X  vnet4 vm5 [vm.tap_wrong_bridge]\n"), "\(apart.stdout)")
            #expect(apart.stdout.contains("FAIL  path.different_bridges  vm1 -> vm5"))
        }
    }
}

/// One throw-away namespace with the scenario, and the libvirt directory describing it.
struct LiveHost {
    let namespace: String
    let libvirt: URL

    static let ipPath = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) }

    static var available: Bool { geteuid() == 0 && ipPath != nil && FileManager.default.fileExists(atPath: "/dev/net/tun") }

    /// Builds the scenario, runs `body`, and deletes the namespace and files whatever happens.
    static func with(_ body: (LiveHost) throws -> Void) throws {
        let namespace = "kvmnet-diag-\(UInt32.random(in: 0...UInt32.max))"
        let libvirt = FileManager.default.temporaryDirectory.appendingPathComponent(namespace)
        try FileManager.default.createDirectory(at: libvirt, withIntermediateDirectories: true)
        defer {
            _ = try? run(ipPath ?? "ip", ["netns", "del", namespace])
            try? FileManager.default.removeItem(at: libvirt)
        }
        try ip(["netns", "add", namespace])
        let host = LiveHost(namespace: namespace, libvirt: libvirt)
        try host.build()
        try body(host)
    }

    /// br0: vnet0 (vm1), vnet1 (vm2, with an address on the port), vnet2 (vm3, a tap no
    /// process holds: no carrier). vnet3 (vm4) on no bridge. br1: vnet4 (vm5, whose XML
    /// says br0). br-down: administratively down. vm6 is defined only, with vm1's MAC.
    func build() throws {
        var commands: [[String]] = [
            ["link", "add", "br0", "type", "bridge"], ["link", "add", "br1", "type", "bridge"],
            ["link", "add", "br-down", "type", "bridge"],
            ["link", "set", "br0", "up"], ["link", "set", "br1", "up"],
            ["tuntap", "add", "dev", "vnet2", "mode", "tap"],
            ["link", "set", "vnet2", "master", "br0"], ["link", "set", "vnet2", "up"],
            ["addr", "add", "10.9.9.9/24", "dev", "vnet1"],
        ]
        for (tap, bridge) in [("vnet0", "br0"), ("vnet1", "br0"), ("vnet3", nil), ("vnet4", "br1"), ("vnet9", "br-down")] as [(String, String?)] {
            commands.insert(["link", "add", tap, "type", "veth", "peer", "name", "p-" + tap], at: 3)
            commands.append(["link", "set", "p-" + tap, "up"])
            if let bridge { commands.append(["link", "set", tap, "master", bridge]) }
            commands.append(["link", "set", tap, "up"])
        }
        for command in commands { try LiveHost.ip(["-n", namespace] + command) }
        let vms: [(String, String, String, String)] = [
            ("vm1", "vnet0", "br0", "52:54:00:00:00:01"), ("vm2", "vnet1", "br0", "52:54:00:00:00:02"),
            ("vm3", "vnet2", "br0", "52:54:00:00:00:03"), ("vm4", "vnet3", "br0", "52:54:00:00:00:04"),
            ("vm5", "vnet4", "br0", "52:54:00:00:00:05"),
        ]
        for (name, tap, bridge, mac) in vms {
            try LiveHost.domstatus(name: name, tap: tap, bridge: bridge, mac: mac)
                .write(to: libvirt.appendingPathComponent("\(name).xml"), atomically: true, encoding: .utf8)
        }
        try "<domain type='kvm'><name>vm6</name><devices><interface type='bridge'><mac address='52:54:00:00:00:01'/><source bridge='br0'/></interface></devices></domain>"
            .write(to: libvirt.appendingPathComponent("vm6.xml"), atomically: true, encoding: .utf8)
    }

    static func domstatus(name: String, tap: String, bridge: String, mac: String) -> String {
        """
        <domstatus state='running' reason='booted' pid='1'>
          <devices>
            <device alias='net0'/>
          </devices>
          <domain type='qemu' id='1'>
            <name>\(name)</name>
            <devices>
              <interface type='bridge'>
                <mac address='\(mac)'/>
                <source bridge='\(bridge)'/>
                <target dev='\(tap)'/>
                <model type='virtio'/>
                <alias name='net0'/>
              </interface>
            </devices>
          </domain>
        </domstatus>

        """
    }

    /// `kvmnet-diag` inside the namespace, on this scenario's libvirt files and no ifcfg.
    func diag(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let binary = try CLIBinaryTests.binary().path
        return try LiveHost.run(LiveHost.ipPath ?? "ip", ["netns", "exec", namespace, binary] + arguments
                                + ["--libvirt-dir", libvirt.path, "--ifcfg-dir", libvirt.appendingPathComponent("no-ifcfg").path])
    }

    static func findings(_ json: String) throws -> [(check: String, subject: String)] {
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        let findings = object?["findings"] as? [[String: Any]] ?? []
        return findings.map { ($0["check"] as? String ?? "", $0["subject"] as? String ?? "") }
    }

    static func ip(_ arguments: [String]) throws {
        let result = try run(ipPath ?? "ip", arguments)
        if result.status != 0 {
            throw CLIBinaryTests.CLIError(message: "ip \(arguments.joined(separator: " ")): \(result.stderr)")
        }
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        // KVMNetSubprocess, not Foundation's Process (which can miss the exit under load).
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        let r = try Subprocess.run([executable] + arguments, environment: environment)
        return (r.status, r.stdoutText, r.stderrText)
    }
}
