import Foundation
import Testing

/// `/diagnose` gives kvmnet-diag's report: both run on one fixture host and their JSON
/// reports are compared whole, but for `taken_at` (when each read the host).
///
/// The host is Tests/Fixtures/kvm-host plus libvirt's four directories, an ifcfg
/// directory, a routing table and the forwarding sysctl (written here), so that the VM
/// rules take part: a `type='network'` interface whose bridge comes from its network, a
/// defined domain hidden by the running one, a MAC used twice, a detached tap. Its
/// bridges' `brforward` files are left out: MAC-move counts are the agent's alone
/// (`bridge.mac_flapping` runs in `/diagnose`; a one-shot kvmnet-diag skips it).
@Suite(.serialized)
struct DiagnoseParityTests {
    static let libvirtDirectories = ["run/libvirt/qemu", "etc/libvirt/qemu", "run/libvirt/network", "etc/libvirt/qemu/networks"]

    /// A running domain with one interface: `source` is the `<source>` element.
    static func domstatus(_ name: String, type: String, mac: String, source: String, tap: String) -> String {
        """
        <domstatus state='running' reason='booted' pid='4242'>
          <domain type='kvm' id='1'>
            <name>\(name)</name>
            <devices>
              <interface type='\(type)'>
                <mac address='\(mac)'/>
                \(source)
                <target dev='\(tap)'/>
                <model type='virtio'/>
              </interface>
            </devices>
          </domain>
        </domstatus>
        """
    }

    static func defined(_ name: String, mac: String, bridge: String) -> String {
        """
        <domain type='kvm'>
          <name>\(name)</name>
          <devices>
            <interface type='bridge'>
              <mac address='\(mac)'/>
              <source bridge='\(bridge)'/>
            </interface>
          </devices>
        </domain>
        """
    }

    static let network = "<network>\n  <name>vlan20</name>\n  <forward mode='bridge'/>\n  <bridge name='brvlan-20'/>\n</network>\n"

    /// The fixture host in a directory of its own.
    static func makeHost() throws -> URL {
        let fm = FileManager.default
        let root = fm.temporaryDirectory.appendingPathComponent("kvmnet-parity-\(UInt64.random(in: 0...UInt64.max))")
        try fm.copyItem(at: URL(fileURLWithPath: GoldenMetricsTests.fixture), to: root)
        for bridge in ["brvlan-10", "brvlan-20"] {
            try fm.removeItem(at: root.appendingPathComponent("sys/class/net/\(bridge)/brforward"))
        }
        func write(_ relative: String, _ text: String) throws {
            let url = root.appendingPathComponent(relative)
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        try write("run/libvirt/qemu/vm1.xml", domstatus("vm1", type: "bridge", mac: "52:54:00:6b:10:01",
                                                        source: "<source bridge='brvlan-10'/>", tap: "vnet0"))
        try write("run/libvirt/qemu/vm2.xml", domstatus("vm2", type: "network", mac: "52:54:00:6b:20:01",
                                                        source: "<source network='vlan20' bridge='brvlan-20'/>", tap: "vnet1"))
        try write("run/libvirt/qemu/vm3.xml", domstatus("vm3", type: "network", mac: "52:54:00:6b:99:01",
                                                        source: "<source network='vlan20' bridge='brvlan-20'/>", tap: "vnet2"))
        try write("etc/libvirt/qemu/vm1.xml", defined("vm1", mac: "52:54:00:6b:10:01", bridge: "brvlan-10"))
        try write("etc/libvirt/qemu/vm4.xml", defined("vm4", mac: "52:54:00:6b:10:01", bridge: "brvlan-10"))
        try write("run/libvirt/network/vlan20.xml", "<networkstatus>\n" + network + "</networkstatus>\n")
        try write("etc/libvirt/qemu/networks/vlan20.xml", network)
        try write("ifcfg/ifcfg-bond0", "DEVICE=bond0\nTYPE=Bond\nBONDING_OPTS=\"mode=802.3ad miimon=100\"\nONBOOT=yes\n")
        try write("ifcfg/ifcfg-bond0.10", "DEVICE=bond0.10\nVLAN=yes\nPHYSDEV=bond0\nVLAN_ID=10\nBRIDGE=brvlan-10\n")
        try write("ifcfg/ifcfg-brvlan-20", "DEVICE=brvlan-20\nTYPE=Bridge\nONBOOT=yes\n")
        try write("proc/net/route", "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
                  + "eno1\t00000000\t0102000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
                  + "eno1\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n")
        try write("proc/sys/net/ipv4/ip_forward", "1\n")
        return root
    }

    /// The same source options for both programs.
    static func sourceArguments(_ root: URL) -> [String] {
        GoldenMetricsTests.fixtureArgs(root.path)
            + libvirtDirectories.map { "--libvirt-dir=\(root.path)/\($0)" } + ["--ifcfg-dir=\(root.path)/ifcfg"]
    }

    /// The report without `taken_at`, as sorted JSON text (readable when they differ).
    static func normalized(_ json: [UInt8]) throws -> String {
        var object = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])
        #expect(object["taken_at"] is String)
        object["taken_at"] = nil
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    @Test func diagnoseEndpointAndKVMNetDiagGiveTheSameReport() throws {
        let root = try Self.makeHost()
        defer { try? FileManager.default.removeItem(at: root) }
        let agent = try AgentProcess(arguments: Self.sourceArguments(root))
        defer { agent.stop() }
        let diag = AgentProcess.productsDirectory.appendingPathComponent("kvmnet-diag").path
        let requests: [(query: String, cli: [String])] = [
            ("", []),
            ("from=vm1&to=vm2", ["vm1", "vm2"]),
            ("from=vm3&external=1", ["vm3", "--external"]),
            ("from=vnet0&to=52:54:00:6b:20:01", ["vnet0", "52:54:00:6b:20:01"]),
            ("from=vm1&to=nosuchvm", ["vm1", "nosuchvm"]),
        ]
        for (query, cli) in requests {
            let served = try agent.get(query.isEmpty ? "/diagnose" : "/diagnose?\(query)")
            let run = try runCommand(diag, ["diagnose", "--json"] + Self.sourceArguments(root) + cli)
            let fromAgent = try Self.normalized(served.body)
            let fromCLI = try Self.normalized(Array(run.stdout.utf8))
            if fromAgent != fromCLI {
                let a = fromAgent.split(separator: "\n"), c = fromCLI.split(separator: "\n")
                let at = Array(zip(a, c)).firstIndex { $0.0 != $0.1 } ?? min(a.count, c.count)
                Issue.record("/diagnose?\(query) differs from kvmnet-diag \(cli.joined(separator: " ")) at line \(at + 1): agent \(at < a.count ? String(a[at]) : "<end>"), kvmnet-diag \(at < c.count ? String(c[at]) : "<end>")")
            }
            let report = try #require(try JSONSerialization.jsonObject(with: Data(served.body)) as? [String: Any])
            #expect(run.status == report["exit_code"] as? Int32, "\(query): exit status \(run.status)")
            #expect(served.status == (run.status == 64 ? 400 : 200), "\(query)")
        }
        // The host's faults are found, the VMs' bridges resolved by the one rule.
        let whole = try #require(try JSONSerialization.jsonObject(with: Data(try agent.get("/diagnose").body)) as? [String: Any])
        let checks = ((whole["findings"] as? [[String: Any]]) ?? []).compactMap { $0["check"] as? String }
        for check in ["vm.tap_detached", "vm.duplicate_mac", "bond.lacp_no_partner", "config.ifcfg_drift"] {
            #expect(checks.contains(check), "\(check) not in \(checks)")
        }
        let path = try #require(try JSONSerialization.jsonObject(with: Data(try agent.get("/diagnose?from=vm1&to=vm2").body)) as? [String: Any])
        let to = (path["path"] as? [String: Any])?["to"] as? [String: Any]
        #expect(to?["expected_bridge"] as? String == "brvlan-20")
    }

    /// Without --libvirt-dir and --ifcfg-dir both read the same default directories (this
    /// host's own libvirt and ifcfg files, if any).
    @Test func theDefaultDirectoriesAreTheSame() throws {
        let root = try Self.makeHost()
        defer { try? FileManager.default.removeItem(at: root) }
        let agent = try AgentProcess(arguments: GoldenMetricsTests.fixtureArgs(root.path))
        defer { agent.stop() }
        let diag = AgentProcess.productsDirectory.appendingPathComponent("kvmnet-diag").path
        let run = try runCommand(diag, ["diagnose", "--json"] + GoldenMetricsTests.fixtureArgs(root.path))
        #expect(try Self.normalized(try agent.get("/diagnose").body) == Self.normalized(Array(run.stdout.utf8)))
    }
}
