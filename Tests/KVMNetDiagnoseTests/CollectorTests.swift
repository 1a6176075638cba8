import Foundation
import KVMNetDiagnose
import KVMNetModel
import KVMNetSources
import Testing

/// The collector against a small proc/sys tree, libvirt and ifcfg directories written
/// by the test, with and without a (fake) netlink dump.
@Suite struct CollectorTests {
    struct FixedDump: LinkDumpSource {
        var result: Result<FullDump, SourceError>
        var source: Source { .netlink }
        func dump() -> Result<FullDump, SourceError> { result }
    }

    private func tree() throws -> (root: URL, paths: HostPaths) {
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
        let paths = HostPaths(
            procfsRoot: root.appendingPathComponent("proc").path, sysfsRoot: root.appendingPathComponent("sys").path,
            libvirtDirectories: [root.appendingPathComponent("run/libvirt/qemu").path,
                                 root.appendingPathComponent("run/libvirt/network").path,
                                 root.appendingPathComponent("etc/libvirt/qemu").path],
            ifcfgDirectory: root.appendingPathComponent("ifcfg").path)
        return (root, paths)
    }

    @Test func collectsHostFactsWithoutNetlink() throws {
        let (root, paths) = try tree()
        defer { try? FileManager.default.removeItem(at: root) }
        let snapshot = SnapshotCollector(paths: paths).collect()
        #expect(snapshot.topologySources == [.sysfs, .procfs])
        #expect(snapshot.facts.domains.map(\.name) == ["vm1"])
        #expect(snapshot.facts.networks.map(\.bridge) == ["virbr0"])
        #expect(snapshot.facts.libvirtDirectories.count == 2)
        #expect(snapshot.facts.ifcfg.map(\.name) == ["brvlan-10", "brvlan-20", "ens37.10", "ens37.20"])
        #expect(snapshot.facts.ifcfgDirectory == paths.ifcfgDirectory)
        #expect(snapshot.facts.sysctls[Sysctl.ipForward]?.value == "1")
        #expect(snapshot.facts.sysctls[Sysctl.bridgeNFIptables]?.path == paths.procfsRoot + "/sys/net/bridge/bridge-nf-call-iptables")
        #expect(snapshot.facts.sysctls[Sysctl.bridgeNFIp6tables] == nil)
        #expect(snapshot.facts.defaultRoute?.gateway == "10.0.2.1")
        #expect(snapshot.facts.neighbours.map(\.address) == ["10.10.10.10"])
        #expect(snapshot.facts.addressSource == .procfs)
        #expect(snapshot.files.filter { $0.kind == "libvirt" }.count == 2)
        #expect(snapshot.files.filter { $0.kind == "ifcfg" }.count == 4)
        let ours = snapshot.errors.filter { [.sysctl, .route, .libvirt, .ifcfg].contains($0.source) }
        #expect(ours.isEmpty, "\(ours)")
        // The copied ifcfg file is found from the collected snapshot too.
        #expect(snapshot.report().findings("config.ifcfg_vlan_id_mismatch").map(\.subject) == ["ifcfg-ens37.20"])
    }

    @Test func missingForwardingSysctlIsAnError() throws {
        let (root, paths) = try tree()
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.removeItem(atPath: paths.procfsRoot + "/sys/net/ipv4/ip_forward")
        let snapshot = SnapshotCollector(paths: paths).collect()
        #expect(snapshot.errors.contains { $0.source == .sysctl && $0.kind == .missing && $0.path.hasSuffix("ipv4/ip_forward") })
        #expect(snapshot.report().outcome("host.ip_forward_off")?.status == .skipped)
    }

    @Test func netlinkDumpGivesLinksAndAddresses() throws {
        let (root, paths) = try tree()
        defer { try? FileManager.default.removeItem(at: root) }
        let bridge = LinkUpdate(link: Link(name: "brvlan-10", index: 5, kind: .bridge, operState: .up,
                                           addresses: ["10.10.10.1/24"]),
                                bridge: Bridge(name: "brvlan-10", stpEnabled: false))
        let tap = LinkUpdate(link: Link(name: "vnet0", index: 6, kind: .tap, operState: .up), masterIndex: 5,
                             bridgePort: BridgePort(name: "vnet0", state: .forwarding))
        let source = FixedDump(result: .success(FullDump(links: [bridge, tap])))
        let snapshot = SnapshotCollector(paths: paths, netlink: source).collect()
        #expect(snapshot.topologySources == [.netlink, .procfs])
        #expect(snapshot.facts.addressSource == .netlink)
        #expect(snapshot.topology.links["brvlan-10"]?.addresses == ["10.10.10.1/24"])
        #expect(snapshot.topology.bridge(containing: "vnet0")?.name == "brvlan-10")
    }

    @Test func factsAroundTheAgentsModelWithFDBMoves() throws {
        let (root, paths) = try tree()
        defer { try? FileManager.default.removeItem(at: root) }
        var topology = Topology()
        topology.links["br0"] = Link(name: "br0", kind: .bridge, operState: .up, addresses: ["10.0.0.1/24"])
        topology.bridges["br0"] = Bridge(name: "br0", stpEnabled: false)
        let snapshot = SnapshotCollector(paths: paths).collect(
            around: topology, topologySources: [.netlink, .procfs], addressSource: .netlink,
            fdbMoves: ["br0": 40], fdbMovesWindowSeconds: 60)
        #expect(snapshot.topology == topology)
        #expect(snapshot.facts.domains.map(\.name) == ["vm1"])
        #expect(snapshot.fdbMoves == ["br0": 40])
        let report = snapshot.report()
        #expect(report.findings("bridge.mac_flapping").first?.explanation.hasPrefix("br0 saw 40 MAC moves between ports in 60 s.") == true)
    }

    @Test func failedNetlinkFallsBackToSysfsAndIsReported() throws {
        let (root, paths) = try tree()
        defer { try? FileManager.default.removeItem(at: root) }
        let source = FixedDump(result: .failure(SourceError(source: .netlink, path: "rtnetlink", message: "EPERM")))
        let snapshot = SnapshotCollector(paths: paths, netlink: source).collect()
        #expect(snapshot.topologySources == [.sysfs, .procfs])
        #expect(snapshot.errors.contains(SourceError(source: .netlink, path: "rtnetlink", message: "EPERM")))
    }

    /// The netlink dump's bridge VLANs reach the snapshot, survive `kvmnet-diag snapshot`'s
    /// JSON, and `diagnose --from` sees exactly the topology a live read saw.
    @Test func bridgeVLANsRoundTripThroughTheSnapshotFile() throws {
        let (root, paths) = try tree()
        defer { try? FileManager.default.removeItem(at: root) }
        let trunk = BridgeVLANSet(ranges: [.init(vid: 1, untagged: true), .init(first: 2, last: 4094)], pvid: 1)
        let access = BridgeVLANSet(ranges: [.init(vid: 10, untagged: true)], pvid: 10)
        let own = BridgeVLANSet(ranges: [.init(vid: 1, untagged: true), .init(vid: 10)], pvid: 1)
        let bridge = LinkUpdate(link: Link(name: "br0", index: 2, kind: .bridge, operState: .up),
                                bridge: Bridge(name: "br0", stpEnabled: false, vlanFiltering: true,
                                               vlanProtocol: .dot1ad, defaultPVID: 1), bridgeVLANs: own)
        let up = LinkUpdate(link: Link(name: "bond0", index: 3, kind: .bond, operState: .up), masterIndex: 2,
                            bridgePort: BridgePort(name: "bond0", state: .forwarding), bridgeVLANs: trunk)
        let tap = LinkUpdate(link: Link(name: "vnet0", index: 6, kind: .tap, operState: .up), masterIndex: 2,
                             bridgePort: BridgePort(name: "vnet0", state: .forwarding), bridgeVLANs: access)
        let empty = LinkUpdate(link: Link(name: "vnet1", index: 7, kind: .tap, operState: .up), masterIndex: 2,
                               bridgePort: BridgePort(name: "vnet1", state: .forwarding), bridgeVLANs: BridgeVLANSet())
        let source = FixedDump(result: .success(FullDump(links: [bridge, up, tap, empty])))
        let live = SnapshotCollector(paths: paths, netlink: source).collect()
        let br = try #require(live.topology.bridges["br0"])
        #expect(br.vlans == own && br.vlanProtocol == .dot1ad && br.defaultPVID == 1)
        #expect(br.port(named: "bond0")?.vlans == trunk)
        #expect(br.port(named: "vnet0")?.vlans == access)
        #expect(br.port(named: "vnet1")?.vlans == BridgeVLANSet())

        let file = try JSONDecoder().decode(DiagSnapshot.self, from: Data(live.jsonBytes()))
        #expect(file.topology == live.topology)
        #expect(file.topology.bridges["br0"]?.port(named: "vnet0")?.vlans?.pvid == 10)
        #expect(file.topology.bridges["br0"]?.port(named: "bond0")?.vlans?.text == "1-4094")
        #expect(file.report().findings.map(\.check) == live.report().findings.map(\.check))
    }

    /// `--no-netlink`: sysfs has `bridge/vlan_filtering`, `vlan_protocol`, `default_pvid` but
    /// no per-port VLAN list. The ports' VLANs stay unknown (never invented) and the report
    /// says the data is incomplete, once per VLAN-filtering bridge.
    @Test func sysfsSaysPerPortVLANsAreMissing() throws {
        let (root, paths) = try tree()
        defer { try? FileManager.default.removeItem(at: root) }
        func write(_ relative: String, _ text: String) throws {
            let url = URL(fileURLWithPath: paths.sysfsRoot).appendingPathComponent(relative)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        for (name, filtering) in [("br0", "1"), ("br1", "0")] {
            try write("class/net/\(name)/operstate", "up\n")
            try write("class/net/\(name)/ifindex", name == "br0" ? "2\n" : "3\n")
            try write("class/net/\(name)/bridge/stp_state", "0\n")
            try write("class/net/\(name)/bridge/vlan_filtering", filtering + "\n")
            try write("class/net/\(name)/bridge/vlan_protocol", "0x88a8\n")
            try write("class/net/\(name)/bridge/default_pvid", "1\n")
        }
        let snapshot = SnapshotCollector(paths: paths).collect()
        let br0 = try #require(snapshot.topology.bridges["br0"])
        #expect(br0.vlanFiltering == true && br0.vlanProtocol == .dot1ad && br0.defaultPVID == 1)
        #expect(br0.vlans == nil)
        let missing = snapshot.errors.filter { $0.path.hasSuffix("/bridge/vlan_filtering") }
        #expect(missing.count == 1)
        #expect(missing.first?.path == paths.sysfsRoot + "/class/net/br0/bridge/vlan_filtering")
        #expect(missing.first?.message.contains("no per-port VLAN lists") == true)
        #expect(snapshot.report().status == .incomplete || snapshot.report().status == .fail)
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
        var paths = base
        paths.sysfsRoot = legacy + "/sys"
        let snapshot = SnapshotCollector(paths: paths).collect()
        #expect(snapshot.topologySources == [.sysfs, .procfs])
        #expect(snapshot.errors.filter { $0.source == .sysfs }.isEmpty, "\(snapshot.errors)")
        #expect(snapshot.topology.links["bonding_masters"] == nil)
        #expect(snapshot.topology.bonds["bond1"]?.slaves.map(\.name) == ["eth1", "eth5"])
        let degraded = snapshot.report().findings("bond.degraded")
        #expect(degraded.map(\.subject) == ["bond1", "bond3"])
        #expect(degraded.first?.explanation.contains("eth1 is down (1 of 2 slaves up)") == true, "\(degraded)")
    }
}
