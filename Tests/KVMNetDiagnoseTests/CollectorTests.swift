import Foundation
import KVMNetDiagnose
import KVMNetModel
import KVMNetProcfs
import Testing

/// The collector against a small proc/sys tree, libvirt and ifcfg directories written
/// by the test, with and without a (fake) netlink dump.
@Suite struct CollectorTests {
    struct FixedDump: LinkDumpSource {
        var result: Result<FullDump, SourceError>
        var name: String { "netlink" }
        func dump() -> Result<FullDump, SourceError> { result }
    }

    private func tree() throws -> (root: URL, options: CollectorOptions) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kvmnet-collector-\(UInt64.random(in: 0...UInt64.max))")
        func write(_ relative: String, _ text: String) throws {
            let url = root.appendingPathComponent(relative)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        try write("proc/net/route", ProcNetParserTests.route)
        try write("proc/sys/net/ipv4/ip_forward", "1\n")
        try write("proc/sys/net/bridge/bridge-nf-call-iptables", "1\n")
        try write("proc/net/arp", "IP address HW type Flags HW address Mask Device\n10.10.10.10 0x1 0x2 52:54:00:6b:3c:01 * brvlan-10\n")
        try write("run/libvirt/qemu/vm1.xml", try FixtureFiles.text("libvirt/vm1-domstatus.xml"))
        try write("run/libvirt/network/default.xml", try FixtureFiles.text("libvirt/default-network.xml"))
        for name in try FileManager.default.contentsOfDirectory(atPath: FixtureFiles.path("ifcfg-copied")) {
            try write("ifcfg/\(name)", try FixtureFiles.text("ifcfg-copied/\(name)"))
        }
        try FileManager.default.createDirectory(at: root.appendingPathComponent("sys/class/net"), withIntermediateDirectories: true)
        let options = CollectorOptions(
            procfsRoot: root.appendingPathComponent("proc").path, sysfsRoot: root.appendingPathComponent("sys").path,
            libvirtDirectories: [root.appendingPathComponent("run/libvirt/qemu").path,
                                 root.appendingPathComponent("run/libvirt/network").path,
                                 root.appendingPathComponent("etc/libvirt/qemu").path],
            ifcfgDirectory: root.appendingPathComponent("ifcfg").path)
        return (root, options)
    }

    @Test func collectsHostFactsWithoutNetlink() throws {
        let (root, options) = try tree()
        defer { try? FileManager.default.removeItem(at: root) }
        let snapshot = SnapshotCollector(options: options).collect()
        #expect(snapshot.topologySources == ["sysfs", "procfs"])
        #expect(snapshot.facts.domains.map(\.name) == ["vm1"])
        #expect(snapshot.facts.networks.map(\.bridge) == ["virbr0"])
        #expect(snapshot.facts.libvirtDirectories.count == 2)
        #expect(snapshot.facts.ifcfg.map(\.name) == ["brvlan-10", "brvlan-20", "ens37.10", "ens37.20"])
        #expect(snapshot.facts.ifcfgDirectory == options.ifcfgDirectory)
        #expect(snapshot.facts.sysctls[Sysctl.ipForward]?.value == "1")
        #expect(snapshot.facts.sysctls[Sysctl.bridgeNFIptables]?.path == options.procfsRoot + "/sys/net/bridge/bridge-nf-call-iptables")
        #expect(snapshot.facts.sysctls[Sysctl.bridgeNFIp6tables] == nil)
        #expect(snapshot.facts.defaultRoute?.gateway == "10.0.2.1")
        #expect(snapshot.facts.neighbours.map(\.address) == ["10.10.10.10"])
        #expect(snapshot.facts.addressSource == "procfs")
        #expect(snapshot.files.filter { $0.kind == "libvirt" }.count == 2)
        #expect(snapshot.files.filter { $0.kind == "ifcfg" }.count == 4)
        let ours = snapshot.errors.filter { ["sysctl", "route", "libvirt", "ifcfg"].contains($0.source) }
        #expect(ours.isEmpty, "\(ours)")
        // The copied ifcfg file is found from the collected snapshot too.
        #expect(snapshot.report().findings("config.ifcfg_vlan_id_mismatch").map(\.subject) == ["ifcfg-ens37.20"])
    }

    @Test func missingForwardingSysctlIsAnError() throws {
        let (root, options) = try tree()
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.removeItem(atPath: options.procfsRoot + "/sys/net/ipv4/ip_forward")
        let snapshot = SnapshotCollector(options: options).collect()
        #expect(snapshot.errors.contains { $0.source == "sysctl" && $0.path.hasSuffix("ipv4/ip_forward") })
        #expect(snapshot.report().outcome("host.ip_forward_off")?.status == .skipped)
    }

    @Test func netlinkDumpGivesLinksAndAddresses() throws {
        let (root, options) = try tree()
        defer { try? FileManager.default.removeItem(at: root) }
        let bridge = LinkUpdate(link: Link(name: "brvlan-10", index: 5, kind: .bridge, operState: .up,
                                           addresses: ["10.10.10.1/24"]),
                                bridge: Bridge(name: "brvlan-10", stpEnabled: false))
        let tap = LinkUpdate(link: Link(name: "vnet0", index: 6, kind: .tap, operState: .up), masterIndex: 5,
                             bridgePort: BridgePort(name: "vnet0", state: .forwarding))
        let source = FixedDump(result: .success(FullDump(links: [bridge, tap])))
        let snapshot = SnapshotCollector(options: options, netlink: source).collect()
        #expect(snapshot.topologySources == ["netlink", "procfs"])
        #expect(snapshot.facts.addressSource == "netlink")
        #expect(snapshot.topology.links["brvlan-10"]?.addresses == ["10.10.10.1/24"])
        #expect(snapshot.topology.bridge(containing: "vnet0")?.name == "brvlan-10")
    }

    @Test func factsAroundTheAgentsModelWithFDBMoves() throws {
        let (root, options) = try tree()
        defer { try? FileManager.default.removeItem(at: root) }
        var topology = Topology()
        topology.links["br0"] = Link(name: "br0", kind: .bridge, operState: .up, addresses: ["10.0.0.1/24"])
        topology.bridges["br0"] = Bridge(name: "br0", stpEnabled: false)
        let snapshot = SnapshotCollector(options: options).collect(
            around: topology, topologySources: ["netlink", "procfs"], addressSource: "netlink",
            fdbMoves: ["br0": 40], fdbMovesWindowSeconds: 60)
        #expect(snapshot.topology == topology)
        #expect(snapshot.facts.domains.map(\.name) == ["vm1"])
        #expect(snapshot.fdbMoves == ["br0": 40])
        let report = snapshot.report()
        #expect(report.findings("bridge.mac_flapping").first?.explanation.hasPrefix("br0 saw 40 MAC moves between ports in 60 s.") == true)
    }

    @Test func failedNetlinkFallsBackToSysfsAndIsReported() throws {
        let (root, options) = try tree()
        defer { try? FileManager.default.removeItem(at: root) }
        let source = FixedDump(result: .failure(SourceError(source: "netlink", path: "rtnetlink", message: "EPERM")))
        let snapshot = SnapshotCollector(options: options, netlink: source).collect()
        #expect(snapshot.topologySources == ["sysfs", "procfs"])
        #expect(snapshot.errors.contains(SourceError(source: "netlink", path: "rtnetlink", message: "EPERM")))
    }

    /// Issue 12: `kvmnet-diag --no-netlink` reads the same sysfs list as the agent. On a
    /// tree with `bonding_masters` and bonds in the older layout (slaves linked as
    /// `slave_<dev>`, most without a directory of their own) the data is complete and
    /// the bond checks see every slave.
    @Test func sysfsTreeWithBondingMastersAndLegacySlavesIsComplete() throws {
        let legacy = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/legacy-bonding").path
        let (root, base) = try tree()
        defer { try? FileManager.default.removeItem(at: root) }
        var options = base
        options.sysfsRoot = legacy + "/sys"
        let snapshot = SnapshotCollector(options: options).collect()
        #expect(snapshot.topologySources == ["sysfs", "procfs"])
        #expect(snapshot.errors.filter { $0.source == "sysfs" }.isEmpty, "\(snapshot.errors)")
        #expect(snapshot.topology.links["bonding_masters"] == nil)
        #expect(snapshot.topology.bonds["bond1"]?.slaves.map(\.name) == ["eth1", "eth5"])
        let degraded = snapshot.report().findings("bond.degraded")
        #expect(degraded.map(\.subject) == ["bond1", "bond3"])
        #expect(degraded.first?.explanation.contains("eth1 is down (1 of 2 slaves up)") == true, "\(degraded)")
    }
}
