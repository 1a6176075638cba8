import Foundation
import KVMNetModel
import KVMNetSources
import KVMNetTestSupport
import Testing

/// The ifupdown and NetworkManager parsers against files the real tools wrote or
/// accepted (scripts/config-fixtures: `nmcli --offline connection add`, `ifquery -o json`).
@Suite struct ConfigSourcesTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/config").path

    static func ifupdownReading() -> ConfigReading {
        var paths = HostPaths()
        paths.rootConfiguration(at: "\(fixtures)/ifupdown")
        paths.networkManagerDirectories = []
        return ConfigReader.read(paths)
    }

    static func keyfileReading() -> ConfigReading {
        var paths = HostPaths()
        paths.rootConfiguration(at: "\(fixtures)/none")
        paths.networkManagerDirectories = ["\(fixtures)/nm"]
        return ConfigReader.read(paths)
    }

    /// Every stanza ifquery (ifupdown2) printed for the fixture, key by key, is what the
    /// parser made of it: names, auto, and each option the model takes.
    @Test func ifupdownAgreesWithIfquery() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(Self.fixtures)/ifupdown/ifquery.json"))
        let stanzas = try #require(JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        let reading = Self.ifupdownReading()
        #expect(reading.errors.isEmpty, "\(reading.errors)")
        let devices = Dictionary(grouping: reading.network.devices, by: \.name)
        let queried = Set(stanzas.compactMap { $0["name"] as? String }).subtracting(["lo"])
        #expect(Set(devices.keys) == queried)
        var compared = 0
        for stanza in stanzas {
            guard let name = stanza["name"] as? String, name != "lo", let d = devices[name]?.first else { continue }
            let config = stanza["config"] as? [String: Any] ?? [:]
            #expect(d.onBoot == (stanza["auto"] as? Bool ?? false), "\(name) auto")
            for (key, raw) in config {
                let value = (raw as? String) ?? (raw as? [String])?.joined(separator: " ") ?? ""
                compared += 1
                switch key {
                case "bond-slaves": #expect(d.bondSlaves?.value.joined(separator: " ") == value, "\(name) \(key)")
                case "bond-mode": #expect(d.bondMode?.value == value)
                case "bond-miimon": #expect(d.bondMiimon.map { String($0.value) } == value)
                case "bridge-ports": #expect(d.bridgePorts?.value == (value == "none" ? [] : value.split(separator: " ").map(String.init)), "\(name) \(key)")
                case "bridge-vlan-aware": #expect(d.vlanFiltering?.value == (value == "yes"))
                case "bridge-vids": #expect(d.portDefaultVLANs?.value.ranges.filter { !$0.untagged }.map(\.text).joined(separator: " ") == value)
                case "bridge-pvid": #expect(d.portDefaultVLANs?.value.pvid.map(String.init) == value)
                case "vlan-raw-device": #expect(d.vlanParent?.value == value)
                case "vlan-id": #expect(d.vlanID.map { String($0.value) } == value)
                case "mtu": #expect(d.mtu.map { String($0.value) } == value, "\(name) mtu")
                case "address": #expect(d.addresses.map { Set($0.value) }?.isSuperset(of: value.split(separator: " ").map(String.init)) == true, "\(name) address")
                default: compared -= 1
                }
            }
        }
        #expect(compared >= 20)
    }

    @Test func ifupdownKindsOriginsAndSources() throws {
        let reading = Self.ifupdownReading()
        let network = reading.network
        #expect(network.systems.map(\.system) == [.ifupdown])
        #expect(network.systems.first?.files.count == 3)
        let interfaces = "\(Self.fixtures)/ifupdown/etc/network/interfaces"
        let bond = try #require(network.device(named: "bond0", system: .ifupdown))
        #expect(bond.kind == .bond)
        #expect(bond.bondMode?.origin == ConfigOrigin(system: .ifupdown, file: interfaces, line: 19, key: "bond-mode", value: "802.3ad"))
        #expect(network.members(of: "bond0", system: .ifupdown).map(\.name) == ["ens1", "ens2"])
        let bridge = try #require(network.device(named: "vmbr0", system: .ifupdown))
        #expect(bridge.kind == .bridge)
        #expect(bridge.portDefaultVLANs?.value == BridgeVLANSet(ranges: [.init(first: 2, last: 4094), .init(vid: 1, untagged: true)], pvid: 1))
        #expect(bridge.addresses?.value == ["192.0.2.10/24", "2001:db8::10/64"])
        #expect(network.master(of: "bond0", system: .ifupdown)?.value == "vmbr0")
        let dotted = try #require(network.device(named: "bond0.20", system: .ifupdown))
        #expect(dotted.kind == .vlan && dotted.vlanID?.value == 20 && dotted.vlanParent?.value == "bond0")
        #expect(dotted.vlanID?.origin.key == "iface")
        let copied = try #require(network.device(named: "bond0.40", system: .ifupdown))
        #expect(copied.vlanID?.value == 20)
        #expect(copied.file.hasSuffix("interfaces.d/vlans"))
        #expect(network.device(named: "vmbr1", system: .ifupdown)?.bridgePorts?.value == [])
        #expect(network.device(named: "vlan30", system: .ifupdown)?.vlanID?.value == 30)
    }

    @Test func ifupdownSourceDirectoryContinuationAndProblems() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kvmnet-ifupdown-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("etc/network/interfaces.d"), withIntermediateDirectories: true)
        try "mtu 1500\nsource-directory /etc/network/interfaces.d\nauto br9\niface br9 inet manual\n  bridge-ports eth0 \\\n     eth1\niface\n"
            .write(to: dir.appendingPathComponent("etc/network/interfaces"), atomically: true, encoding: .utf8)
        try "iface eth0 inet manual\n  mtu 9000\n".write(to: dir.appendingPathComponent("etc/network/interfaces.d/uplink"), atomically: true, encoding: .utf8)
        try "iface eth0 inet manual\n  mtu 1\n".write(to: dir.appendingPathComponent("etc/network/interfaces.d/old.dpkg-old"), atomically: true, encoding: .utf8)
        var paths = HostPaths()
        paths.rootConfiguration(at: dir.path)
        paths.networkManagerDirectories = []
        let reading = ConfigReader.read(paths)
        #expect(reading.network.device(named: "br9", system: .ifupdown)?.bridgePorts?.value == ["eth0", "eth1"])
        #expect(reading.network.device(named: "eth0", system: .ifupdown)?.mtu?.value == 9000)
        #expect(reading.errors.map(\.message) == ["line 1: option 'mtu' outside an iface stanza", "line 7: iface without an interface name"])
        #expect(reading.errors.allSatisfy { $0.source == .ifupdown && $0.kind == .other })
    }

    /// The keyfiles nmcli --offline wrote: kinds, masters, VLANs, bridge VLANs, MTUs,
    /// addresses, each with its file and line.
    @Test func keyfilesWrittenByNmcli() throws {
        let reading = Self.keyfileReading()
        #expect(reading.errors.isEmpty, "\(reading.errors)")
        let network = reading.network
        #expect(network.systems.map(\.system) == [.networkManager])
        #expect(Set(network.devices.map(\.name)) == ["bond0", "ens1", "ens2", "vmbr0", "bond0.20", "bond0.30", "vnet-uplink"])
        let bond = try #require(network.device(named: "bond0", system: .networkManager))
        #expect(bond.kind == .bond && bond.bondMode?.value == "802.3ad" && bond.bondMiimon?.value == 100)
        #expect(bond.bondMode?.origin.file == "\(Self.fixtures)/nm/bond0.nmconnection")
        #expect(bond.bondMode?.origin.line != nil)
        #expect(bond.master?.value == "vmbr0" && bond.mtu?.value == 9000)
        #expect(bond.vlans?.value == BridgeVLANSet(ranges: [.init(vid: 1, untagged: true), .init(vid: 10), .init(vid: 20)], pvid: 1))
        #expect(network.members(of: "bond0", system: .networkManager).map(\.name).sorted() == ["ens1", "ens2"])
        let bridge = try #require(network.device(named: "vmbr0", system: .networkManager))
        #expect(bridge.vlanFiltering?.value == true)
        #expect(bridge.portDefaultVLANs?.value.pvid == 1)
        #expect(bridge.addresses?.value == ["192.0.2.10/24"])
        let copied = try #require(network.device(named: "bond0.30", system: .networkManager))
        #expect(copied.profile == "vlan30" && copied.vlanID?.value == 20 && copied.vlanParent?.value == "bond0")
        #expect(copied.vlanID?.origin.key == "vlan.id")
        #expect(copied.labels.map(\.value) == ["vlan30"])
        #expect(network.device(named: "vnet-uplink", system: .networkManager)?.vlans?.value.pvid == 30)
    }

    @Test func iniProblemsAreReportedWithTheirLine() {
        let file = INIParser.parse("key=before\n[connection]\nid=x\ngarbage\n[broken\n", path: "/x.nmconnection", gkeyEscapes: true)
        #expect(file.problems == [
            ConfigProblem(line: 1, message: "'key=' before the first [section]"),
            ConfigProblem(line: 4, message: "not a key=value line: 'garbage'"),
            ConfigProblem(line: 5, message: "malformed section header '[broken'"),
        ])
        #expect(file.entry("connection", "id")?.line == 3)
        #expect(INIParser.parse("[a]\nk=v\\sw\n", path: "/y", gkeyEscapes: true).entry("a", "k")?.value == "v w")
        #expect(INIParser.parse("[a]\nk=one \\\n two\n", path: "/y", continuation: true).entry("a", "k")?.value == "one   two")
    }

    @Test func keyfileReferencesByUUIDResolveToInterfaces() {
        let bond = INIParser.parse("[connection]\nid=b\nuuid=aaaaaaaa-0000-4000-8000-000000000001\ntype=bond\ninterface-name=bond7\n", path: "/b.nmconnection")
        let port = INIParser.parse("[connection]\nid=p\ntype=ethernet\ninterface-name=eth7\ncontroller=aaaaaaaa-0000-4000-8000-000000000001\nport-type=bond\n", path: "/p.nmconnection")
        let devices = KeyfileIntended.devices([bond, port])
        #expect(devices.first { $0.name == "eth7" }?.master?.value == "bond7")
    }
}

/// The systemd-networkd source on a tree of `.netdev`/`.network` files and drop-ins in
/// every directory networkd reads (Fixtures/config/networkd), checked against
/// `systemd-analyze cat-config`, which resolves shadowing and drop-ins as networkd does.
/// (`systemd-analyze verify` does not apply: it takes units only and refuses these files
/// with "Failed to prepare filename"; networkd itself has no offline check.)
@Suite struct NetworkdSourceTests {
    static let root = "\(ConfigSourcesTests.fixtures)/networkd"

    static func reading(_ root: String = Self.root) -> ConfigReading {
        var paths = HostPaths()
        paths.rootConfiguration(at: root)
        paths.networkManagerDirectories = []
        return ConfigReader.read(paths)
    }

    static let analyze = "/usr/bin/systemd-analyze"

    /// The files read, in order (each file, then its drop-ins), are the ones cat-config
    /// prints for every file name of the tree: /etc shadows /usr/lib, drop-ins come from
    /// every directory, ordered by their own name.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: analyze), "needs systemd-analyze"))
    func filesAreTheOnesSystemdAnalyzeCatConfigShows() throws {
        let reading = Self.reading()
        #expect(reading.errors.isEmpty, "\(reading.errors)")
        let fm = FileManager.default
        var names: Set<String> = []
        for dir in HostPaths.defaultNetworkdDirectories {
            for name in (try? fm.contentsOfDirectory(atPath: Self.root + dir)) ?? [] where NetworkdIntended.kind(ofFileNamed: name) != nil {
                names.insert(name)
            }
        }
        #expect(names.count == 10)
        var shown: [String] = []
        for name in names.sorted() {
            let r = try Subprocess.run([Self.analyze, "cat-config", "--no-pager", "--root=\(Self.root)", "systemd/network/\(name)"],
                                       timeout: 60)
            #expect(r.status == 0, "\(name): \(r.stderrText)")
            shown += r.stdoutText.split(separator: "\n").filter { $0.hasPrefix("# /") }.map { String($0.dropFirst(2)) }
        }
        #expect(reading.network.systems.map(\.system) == [.networkd])
        #expect(reading.network.systems.first?.files == shown)
        #expect(!shown.contains { $0.contains("/usr/lib/systemd/network/10-vmbr0.netdev") || $0.hasSuffix("usr/lib/systemd/network/40-bond0.network.d/mtu.conf") })
    }

    @Test func devicesKindsAndOrigins() throws {
        let reading = Self.reading()
        let network = reading.network
        let etc = "\(Self.root)/etc/systemd/network"
        #expect(Set(network.devices.map(\.name)) == ["bond0", "vmbr0", "bond0.20", "bond0.30", "ens1", "ens2", "vnet-uplink"])
        #expect(network.devices.allSatisfy { $0.system == .networkd && $0.onBoot })
        let bond = try #require(network.device(named: "bond0", system: .networkd))
        #expect(bond.kind == .bond && bond.file == "\(etc)/10-bond0.netdev")
        #expect(bond.bondMode?.origin == ConfigOrigin(system: .networkd, file: "\(etc)/10-bond0.netdev", line: 8, key: "[Bond] Mode", value: "802.3ad"))
        #expect(bond.bondMiimon?.value == 100)
        #expect(bond.declaration?.line == 3 && bond.declaration?.key == "[NetDev] Name")
        // The drop-in in /etc wins over its shadowed namesake in /usr/lib, and over the netdev.
        #expect(bond.mtu?.value == 9000 && bond.mtu?.origin.file == "\(etc)/40-bond0.network.d/mtu.conf" && bond.mtu?.origin.line == 2)
        #expect(bond.master?.value == "vmbr0" && bond.master?.origin.key == "[Network] Bridge")
        #expect(bond.vlans?.value == BridgeVLANSet(ranges: [.init(vid: 1, untagged: true), .init(vid: 10), .init(vid: 20)], pvid: 1))
        #expect(bond.vlans?.origin.file == "\(etc)/40-bond0.network" && bond.vlans?.origin.line == 17)
        #expect(bond.labels.map(\.value) == ["bond0"])
        #expect(network.members(of: "bond0", system: .networkd).map(\.name).sorted() == ["ens1", "ens2"])
        // The continued Match line names both.
        let ens2 = try #require(network.device(named: "ens2", system: .networkd))
        #expect(ens2.kind == .ethernet && ens2.master?.value == "bond0" && ens2.mtu?.value == 9000)
        #expect(ens2.declaration?.line == 2 && ens2.labels.isEmpty)
        let bridge = try #require(network.device(named: "vmbr0", system: .networkd))
        #expect(bridge.kind == .bridge && bridge.vlanFiltering?.value == true && bridge.vlanFiltering?.origin.line == 7)
        #expect(bridge.portDefaultVLANs?.value.pvid == 1)
        #expect(bridge.addresses?.value == ["192.0.2.10/24"] && bridge.mtu?.value == 9000)
        let vlan = try #require(network.device(named: "bond0.20", system: .networkd))
        #expect(vlan.kind == .vlan && vlan.vlanID?.value == 20 && vlan.vlanProtocol?.value == "802.1q")
        #expect(vlan.vlanParent?.value == "bond0" && vlan.vlanParent?.origin == ConfigOrigin(system: .networkd, file: "\(etc)/40-bond0.network", line: 6, key: "[Network] VLAN", value: "bond0.20"))
        #expect(vlan.addresses?.value == ["198.51.100.10/24"] && vlan.addresses?.origin.file == "\(Self.root)/run/systemd/network/60-bond0.20.network")
        let copied = try #require(network.device(named: "bond0.30", system: .networkd))
        #expect(copied.vlanID?.value == 20 && copied.vlanParent?.value == "bond0" && copied.labels.map(\.value) == ["bond0.30"])
        let uplink = try #require(network.device(named: "vnet-uplink", system: .networkd))
        #expect(uplink.vlans?.value == BridgeVLANSet(ranges: [.init(vid: 30, untagged: true)], pvid: 30))
        #expect(uplink.mtu?.value == 1500 && uplink.master?.value == "vmbr0")
    }

    /// Malformed lines and values are typed errors with their line; the rest is read.
    @Test func problemsAreErrorsWithTheirLineAndTheRestIsRead() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kvmnet-networkd-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: dir) }
        let etc = dir.appendingPathComponent("etc/systemd/network")
        try FileManager.default.createDirectory(at: etc.appendingPathComponent("br9.netdev.d"), withIntermediateDirectories: true)
        try "[NetDev]\nName=br9\nKind=bridge\nMTUBytes=9k\n[Bridge]\nVLANFiltering=maybe\ngarbage\n".write(to: etc.appendingPathComponent("br9.netdev"), atomically: true, encoding: .utf8)
        try "[NetDev]\nMTUBytes=1400\n".write(to: etc.appendingPathComponent("br9.netdev.d/mtu.conf"), atomically: true, encoding: .utf8)
        try "[NetDev]\nName=v9\nKind=vlan\n[VLAN]\nId=5000\n".write(to: etc.appendingPathComponent("v9.netdev"), atomically: true, encoding: .utf8)
        try "[Match]\nName=eth9 en*\n[Network]\nBridge=br9\n[BridgeVLAN]\nVLAN=10-20 x\nPVID=no\n[Link]\nMTUBytes=2K\n".write(to: etc.appendingPathComponent("eth9.network"), atomically: true, encoding: .utf8)
        try "[Match]\nName=eth9\n[Link]\nMTUBytes=1\n".write(to: etc.appendingPathComponent("zz-eth9.network"), atomically: true, encoding: .utf8)
        try "[Match]\nName=eth8\n[Link]\nUnmanaged=yes\nMTUBytes=1\n".write(to: etc.appendingPathComponent("eth8.network"), atomically: true, encoding: .utf8)
        let reading = Self.reading(dir.path)
        #expect(reading.errors.map(\.message).sorted() == [
            "line 5: Id=5000: not a VLAN id", "line 6: VLAN=10-20 x: not a VLAN id or range",
            "line 6: VLANFiltering=maybe: not a boolean", "line 7: not a key=value line: 'garbage'",
        ])
        #expect(reading.errors.allSatisfy { $0.source == .networkd && $0.kind == .other })
        let network = reading.network
        let br9 = try #require(network.device(named: "br9", system: .networkd))
        #expect(br9.mtu?.value == 1400 && br9.mtu?.origin.file.hasSuffix("br9.netdev.d/mtu.conf") == true && br9.vlanFiltering == nil)
        #expect(network.device(named: "v9", system: .networkd)?.vlanID == nil)
        let eth9 = try #require(network.device(named: "eth9", system: .networkd))
        // The first file by name applies; the glob is not matched.
        #expect(eth9.mtu?.value == 2048 && eth9.master?.value == "br9" && eth9.file.hasSuffix("/eth9.network"))
        #expect(eth9.vlans?.value == BridgeVLANSet(ranges: [.init(first: 10, last: 20)], pvid: nil))
        #expect(network.device(named: "eth8", system: .networkd) == nil)
        #expect(network.devices.count == 3)
    }

    @Test func valueSyntax() {
        #expect(NetworkdIntended.milliseconds("100ms") == 100)
        #expect(NetworkdIntended.milliseconds("1") == 1000)
        #expect(NetworkdIntended.milliseconds("1s 500ms") == 1500)
        #expect(NetworkdIntended.milliseconds("0.2s") == 200)
        #expect(NetworkdIntended.milliseconds("2min") == 120_000)
        #expect(NetworkdIntended.milliseconds("fast") == nil)
        #expect(NetworkdIntended.milliseconds("") == nil)
        #expect(NetworkdIntended.bytes("9000") == 9000 && NetworkdIntended.bytes("9K") == 9216 && NetworkdIntended.bytes("-1") == nil)
        #expect(NetworkdIntended.label("/etc/systemd/network/10-bond0.20.netdev").map(\.value) == ["bond0.20"])
        #expect(NetworkdIntended.label("/x/vmbr0.network").map(\.value) == ["vmbr0"])
        #expect(NetworkdIntended.owner(ofDropInDirectory: "10-br0.network.d") == "10-br0.network")
        #expect(NetworkdIntended.owner(ofDropInDirectory: "network.d") == nil)
        #expect(NetworkdIntended.kind(ofFileNamed: ".hidden.network") == nil && NetworkdIntended.kind(ofFileNamed: "a.link") == nil)
    }
}

extension NetworkdSourceTests {
    /// systemd's own .network files (Debian's /usr/lib/systemd/network) configure nothing
    /// kvmnet compares: networkd is not taken to be in use on every host that has them.
    @Test func systemdsShippedNetworkFilesAreNotAConfiguration() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kvmnet-networkd-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: dir) }
        let lib = dir.appendingPathComponent("usr/lib/systemd/network")
        try FileManager.default.createDirectory(at: lib, withIntermediateDirectories: true)
        try "[Match]\nVirtualization=container\nName=host0\n\n[Network]\nDHCP=yes\n".write(to: lib.appendingPathComponent("80-container-host0.network"), atomically: true, encoding: .utf8)
        try "[Match]\nKind=veth\nName=ve-*\n\n[Network]\nAddress=0.0.0.0/28\n".write(to: lib.appendingPathComponent("80-container-ve.network"), atomically: true, encoding: .utf8)
        let reading = Self.reading(dir.path)
        #expect(reading.errors.isEmpty)
        #expect(reading.network.isEmpty)
        #expect(reading.texts.count == 2)
    }
}
