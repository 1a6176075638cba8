import Foundation
import KVMNetModel
import KVMNetSources
import Testing

/// The netplan source on a tree of YAML files in all three directories netplan reads
/// (Fixtures/config/netplan), checked against netplan's own generator: `netplan generate`
/// (netplan.io 0.106, scripts/config-fixtures) accepted the tree and wrote the networkd
/// files in netplan/generated, which the networkd parser reads independently.
@Suite struct NetplanTests {
    static let root = "\(ConfigSourcesTests.fixtures)/netplan"

    static func reading(_ root: String = Self.root) -> ConfigReading {
        var paths = HostPaths()
        paths.rootConfiguration(at: root)
        paths.networkManagerDirectories = []
        return ConfigReader.read(paths)
    }

    /// What netplan's generator wrote, read by the networkd parser.
    static func generatedReading() -> ConfigReading {
        var paths = HostPaths()
        paths.rootConfiguration(at: "\(ConfigSourcesTests.fixtures)/none")
        paths.networkManagerDirectories = []
        paths.netplanDirectories = []
        paths.networkdDirectories = ["\(root)/generated"]
        return ConfigReader.read(paths)
    }

    /// A temporary root with `files` (relative path -> text).
    static func tree(_ files: [String: String]) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kvmnet-netplan-\(UInt32.random(in: 0...UInt32.max))")
        for (path, text) in files {
            let url = dir.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        return dir
    }

    static func parse(_ files: [(String, String)]) -> (devices: [IntendedDevice], problems: [SourceError]) {
        let parsed = files.map { NetplanParser.parse($0.1, path: $0.0) }
        let (devices, problems) = NetplanIntended.read(parsed)
        return (devices, parsed.flatMap { f in f.problems.map { SourceError(source: .networkd, path: f.path, message: $0.description) } } + problems)
    }

    /// Two independent readings of one configuration agree: the netplan parser on the YAML,
    /// and the networkd parser on what netplan's generator made of it. Name, kind, bond
    /// mode, miimon and slaves, VLAN id and parent, bridge ports, MTU, addresses.
    @Test func netplanAgreesWithItsOwnGeneratedNetworkdFiles() throws {
        let ours = Self.reading()
        #expect(ours.errors.isEmpty, "\(ours.errors)")
        let theirs = Self.generatedReading()
        #expect(theirs.errors.isEmpty, "\(theirs.errors)")
        let np = ours.network, nd = theirs.network
        #expect(np.systems.map(\.system) == [.netplan])
        #expect(nd.systems.map(\.system) == [.networkd])
        #expect(Set(np.devices.map(\.name)) == Set(nd.devices.map(\.name)))
        #expect(np.devices.count == 7)
        var compared = 0
        for d in np.devices {
            let g = try #require(nd.device(named: d.name, system: .networkd), "\(d.name) not in the generated files")
            #expect(d.kind == g.kind, "\(d.name) kind")
            #expect(d.bondMode?.value == g.bondMode?.value, "\(d.name) mode")
            #expect(d.bondMiimon?.value == g.bondMiimon?.value, "\(d.name) miimon")
            #expect(Set(np.members(of: d.name, system: .netplan).map(\.name)) == Set(nd.members(of: d.name, system: .networkd).map(\.name)), "\(d.name) slaves/ports")
            #expect(np.master(of: d.name, system: .netplan)?.value == nd.master(of: d.name, system: .networkd)?.value, "\(d.name) master")
            #expect(d.vlanID?.value == g.vlanID?.value, "\(d.name) vlan id")
            #expect(d.vlanParent?.value == g.vlanParent?.value, "\(d.name) vlan parent")
            #expect(d.mtu?.value == g.mtu?.value, "\(d.name) mtu")
            // networkd lists [Network] Address= before [Address] sections: compared as sets.
            #expect(d.addresses.map { Set($0.value) } == g.addresses.map { Set($0.value) }, "\(d.name) addresses")
            #expect(d.vlanFiltering == nil && d.vlans == nil && d.portDefaultVLANs == nil)
            compared += 1
        }
        #expect(compared == 7)
        // The values are there to compare, not nil on both sides.
        #expect(np.device(named: "bond0", system: .netplan)?.bondMode?.value == "802.3ad")
        #expect(np.device(named: "bond0", system: .netplan)?.bondMiimon?.value == 100)
        #expect(np.device(named: "bond0.20", system: .netplan)?.vlanParent?.value == "bond0")
        #expect(np.device(named: "vmbr0", system: .netplan)?.addresses?.value == ["192.0.2.10/24", "2001:db8::10/64"])
    }

    /// Shadowing (/etc/netplan/40-bridge.yaml hides /lib's), merging by file name across
    /// directories (lib's 30-bond-ports.yaml appends ens2 to etc's 20-bond.yaml), and a
    /// later scalar overriding (run's 90-storage-mtu.yaml), each cited at its own file and line.
    @Test func mergeAndShadowRulesOfTheFixture() throws {
        let network = Self.reading().network
        let etc = "\(Self.root)/etc/netplan", lib = "\(Self.root)/lib/netplan", run = "\(Self.root)/run/netplan"
        #expect(network.device(named: "vmbr9", system: .netplan) == nil)
        #expect(network.systems.first?.files == ["\(etc)/10-ethernets.yaml", "\(etc)/20-bond.yaml", "\(lib)/30-bond-ports.yaml", "\(etc)/40-bridge.yaml", "\(run)/90-storage-mtu.yaml"])
        let bond = try #require(network.device(named: "bond0", system: .netplan))
        #expect(bond.kind == .bond && bond.bondSlaves?.value == ["ens1", "ens2"])
        #expect(bond.bondSlaves?.origin == ConfigOrigin(system: .netplan, file: "\(lib)/30-bond-ports.yaml", line: 6, key: "bonds.bond0.interfaces", value: "ens1 ens2"))
        #expect(bond.bondMode?.origin == ConfigOrigin(system: .netplan, file: "\(etc)/20-bond.yaml", line: 8, key: "bonds.bond0.parameters.mode", value: "802.3ad"))
        #expect(bond.bondMiimon?.origin.key == "bonds.bond0.parameters.mii-monitor-interval")
        #expect(bond.declaration == ConfigOrigin(system: .netplan, file: "\(etc)/20-bond.yaml", line: 4, key: "bonds.bond0", value: "bond0"))
        #expect(bond.labels.map(\.value) == ["bond0"])
        let storage = try #require(network.device(named: "stor0", system: .netplan))
        #expect(storage.mtu?.value == 9000)
        #expect(storage.mtu?.origin == ConfigOrigin(system: .netplan, file: "\(run)/90-storage-mtu.yaml", line: 6, key: "ethernets.storage-nic.mtu", value: "9000"))
        #expect(storage.declaration == ConfigOrigin(system: .netplan, file: "\(etc)/10-ethernets.yaml", line: 13, key: "ethernets.storage-nic.set-name", value: "stor0"))
        #expect(storage.labels.map(\.value) == ["storage-nic"])
        let vlan = try #require(network.device(named: "bond0.30", system: .netplan))
        #expect(vlan.vlanID == Configured(20, ConfigOrigin(system: .netplan, file: "\(etc)/40-bridge.yaml", line: 20, key: "vlans.bond0.30.id", value: "20")))
        #expect(Self.reading().texts.filter { $0.kind == "netplan" }.count == 5)
    }

    @Test func shadowingAndListsAcrossDirectories() throws {
        let dir = try Self.tree([
            "lib/netplan/10-a.yaml": "network:\n  version: 2\n  bridges:\n    br-lib: {}\n",
            "etc/netplan/10-a.yaml": "network:\n  version: 2\n  bridges:\n    br0:\n      interfaces: [eth0]\n      addresses: [10.0.0.1/24]\n  ethernets:\n    eth0: {}\n    eth1: {}\n",
            "run/netplan/10-a.yaml": "network:\n  version: 2\n  ethernets:\n    eth0: {}\n    eth1: {}\n  bridges:\n    br0:\n      interfaces: [eth0]\n      mtu: 1500\n",
            "lib/netplan/20-b.yaml": "network:\n  bridges:\n    br0:\n      interfaces: [eth1]\n      mtu: 9000\n      addresses:\n        - 10.0.0.2/24: {label: \"br0:x\"}\n",
            "etc/netplan/.hidden.yaml": "network:\n  bridges:\n    br-hidden: {}\n",
            "etc/netplan/notes.yml": "network:\n  bridges:\n    br-yml: {}\n",
        ])
        defer { try? FileManager.default.removeItem(at: dir) }
        let reading = Self.reading(dir.path)
        #expect(reading.errors.isEmpty, "\(reading.errors)")
        let network = reading.network
        // /run's 10-a.yaml replaces /etc's (no address) and /lib's (no br-lib) whole.
        #expect(Set(network.devices.map(\.name)) == ["br0", "eth0", "eth1"])
        let br0 = try #require(network.device(named: "br0", system: .netplan))
        #expect(br0.bridgePorts?.value == ["eth0", "eth1"])
        #expect(br0.mtu == Configured(9000, ConfigOrigin(system: .netplan, file: dir.path + "/lib/netplan/20-b.yaml", line: 5, key: "bridges.br0.mtu", value: "9000")))
        #expect(br0.addresses?.value == ["10.0.0.2/24"])
        #expect(br0.declaration?.file == dir.path + "/run/netplan/10-a.yaml")
    }

    @Test func setNameAndMatchWithoutIt() throws {
        let (devices, problems) = Self.parse([("/etc/netplan/50.yaml", """
        network:
          version: 2
          ethernets:
            nic0:
              match: {macaddress: "52:54:00:00:00:01"}
              set-name: lan0
            nic1:
              match:
                macaddress: "52:54:00:00:00:02"
            nic2:
              match: {name: enp3s0}
            nic3:
              match: {name: "en*"}
          bonds:
            bond0:
              interfaces: [nic0, nic2]
            bond1:
              interfaces: [nic1]
          vlans:
            v5:
              id: 5
              link: nic1
        """)])
        #expect(devices.map(\.name) == ["lan0", "enp3s0", "bond0", "bond1", "v5"])
        let bond0 = try #require(devices.first { $0.name == "bond0" })
        #expect(bond0.bondSlaves?.value == ["lan0", "enp3s0"])
        // A member whose kernel name is not known: the list is not guessed.
        #expect(devices.first { $0.name == "bond1" }?.bondSlaves == nil)
        #expect(devices.first { $0.name == "v5" }?.vlanParent == nil)
        #expect(devices.first { $0.name == "v5" }?.vlanID?.value == 5)
        #expect(problems.map(\.message) == [
            "line 9: ethernets.nic1 is matched by macaddress without set-name: its kernel name is not known (not guessed); left out",
            "line 13: ethernets.nic3 is matched by name without set-name: its kernel name is not known (not guessed); left out",
            "line 18: bonds.bond1.interfaces: the kernel name of 'nic1' is not known",
            "line 22: vlans.v5.link: the kernel name of 'nic1' is not known",
        ])
    }

    /// What `netplan generate` refuses is a problem at its line, and the rest is read.
    @Test func problemsWithTheirLineAndTheRestIsRead() throws {
        let (devices, problems) = Self.parse([("/etc/netplan/60.yaml", """
        network:
          version: 2
          renderer: systemd
          ethernets:
            eth0:
              mtu: big
              dhcp4: maybe
            eth1: [not, a, mapping]
          bonds:
            bond0:
              interfaces: eth0
              parameters:
                mode: fastest
                mii-monitor-interval: soon
          vlans:
            v0:
              id: 0
              link: eth0
            v4095:
              id: 4095
              link: eth0
            vx:
              id: ten
              link: nothere
            vnoid:
              link: eth0
          bridges:
            br0:
              interfaces: [eth0, ghost]
              parameters: {stp: perhaps}
              mtu: 9000
        """)])
        #expect(problems.map(\.message) == [
            "line 3: renderer: systemd: not networkd, NetworkManager or sriov",
            "line 8: ethernets.eth1: is a sequence, not a mapping",
            "line 6: ethernets.eth0.mtu: big: not an MTU",
            "line 7: ethernets.eth0.dhcp4: maybe: not a boolean",
            "line 11: bonds.bond0.interfaces: is a scalar, expected a sequence",
            "line 13: bonds.bond0.parameters.mode: fastest: not a bond mode",
            "line 14: bonds.bond0.parameters.mii-monitor-interval: soon: not a time span",
            "line 29: bridges.br0.interfaces: interface 'ghost' is not defined",
            "line 30: bridges.br0.parameters.stp: perhaps: not a boolean",
            "line 20: vlans.v4095.id: 4095: not a VLAN id (allowed values are 0 to 4094)",
            "line 23: vlans.vx.id: ten: not a VLAN id",
            "line 24: vlans.vx.link: interface 'nothere' is not defined",
            "line 25: vlans.vnoid: missing 'id' property",
        ])
        #expect(problems.allSatisfy { $0.path == "/etc/netplan/60.yaml" && $0.source == NetplanIntended.errorSource })
        // The rest of the file is read: VLAN 0 is valid for netplan, br0 keeps its MTU.
        #expect(devices.first { $0.name == "v0" }?.vlanID?.value == 0)
        #expect(devices.first { $0.name == "br0" }?.mtu?.value == 9000)
        #expect(devices.first { $0.name == "br0" }?.bridgePorts == nil)
        #expect(devices.first { $0.name == "eth0" }?.mtu == nil)
        #expect(devices.first { $0.name == "bond0" }?.kind == .bond)
        #expect(Set(devices.map(\.name)) == ["eth0", "bond0", "br0", "v0", "v4095", "vx", "vnoid"])
    }

    @Test func malformedYAMLIsOneProblemWithItsLine() {
        let bad = NetplanParser.parse("network:\n  version: 2\n  ethernets:\n    eth0: {mtu: 9000\n    eth1: {}\n", path: "/etc/netplan/bad.yaml")
        #expect(bad.root == nil)
        #expect(bad.problems.count == 1)
        #expect(bad.problems.first.map { $0.line >= 4 && $0.message.hasPrefix("not valid YAML") } == true, "\(bad.problems)")
        let tabs = NetplanParser.parse("network:\n\tversion: 2\n", path: "/t.yaml")
        #expect(tabs.problems.first?.line == 2, "\(tabs.problems)")
        let top = NetplanIntended.read([NetplanParser.parse("- a\n- b\n", path: "/l.yaml"), NetplanParser.parse("network: 5\nwifi: {}\n", path: "/m.yaml")])
        #expect(top.problems.map(\.message) == [
            "line 1: the top level is a sequence, not a mapping with network:",
            "line 2: unknown key 'wifi' at the top level (netplan reads network: only)",
            "line 1: network: is a scalar, not a mapping",
        ])
        let deep = NetplanParser.parse("network: " + String(repeating: "[", count: 5000), path: "/d.yaml")
        #expect(deep.problems.map(\.message) == ["nested deeper than 64 levels"])
        let alias = NetplanParser.parse("x: &a {mtu: 1}\nnetwork:\n  ethernets:\n    eth0: *a\n", path: "/a.yaml")
        #expect(alias.root != nil)
        let empty = NetplanParser.parse("# nothing\n", path: "/e.yaml")
        #expect(empty.root == nil && empty.problems.isEmpty)
    }

    /// A file with `network: {version: 2}` only configures nothing: netplan is not in use.
    @Test func aFileWithoutDevicesIsNoConfiguration() throws {
        let dir = try Self.tree(["etc/netplan/01-empty.yaml": "network:\n  version: 2\n  renderer: networkd\n"])
        defer { try? FileManager.default.removeItem(at: dir) }
        let reading = Self.reading(dir.path)
        #expect(reading.network.isEmpty)
        #expect(reading.texts.map(\.kind) == ["netplan"])
    }

    /// netplan's output in /run/systemd/network is the same configuration: read once, as netplan.
    @Test func generatedNetworkdFilesAreNotASecondSystem() throws {
        var files: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: "\(Self.root)/generated") {
            files["run/systemd/network/\(name)"] = try String(contentsOfFile: "\(Self.root)/generated/\(name)", encoding: .utf8)
        }
        for dir in ["etc", "lib", "run"] {
            for name in try FileManager.default.contentsOfDirectory(atPath: "\(Self.root)/\(dir)/netplan") {
                files["\(dir)/netplan/\(name)"] = try String(contentsOfFile: "\(Self.root)/\(dir)/netplan/\(name)", encoding: .utf8)
            }
        }
        files["etc/systemd/network/50-own.netdev"] = "[NetDev]\nName=br-own\nKind=bridge\n"
        let dir = try Self.tree(files)
        defer { try? FileManager.default.removeItem(at: dir) }
        let network = Self.reading(dir.path).network
        #expect(network.systems.map(\.system) == [.networkd, .netplan])
        #expect(network.systems.first?.files == [dir.path + "/etc/systemd/network/50-own.netdev"])
        #expect(network.devices.filter { $0.system == .networkd }.map(\.name) == ["br-own"])
        #expect(network.devices.filter { $0.system == .netplan }.count == 7)
    }

    @Test func valueSyntax() {
        #expect(NetplanIntended.milliseconds("100") == 100)
        #expect(NetplanIntended.milliseconds("1s") == 1000)
        #expect(NetplanIntended.milliseconds("250ms") == 250)
        #expect(NetplanIntended.milliseconds("-1") == nil)
        #expect(NetplanIntended.boolean("on") == true && NetplanIntended.boolean("No") == false && NetplanIntended.boolean("2") == nil)
        #expect(NetplanIntended.isNetplanFileName("50-cloud-init.yaml") && !NetplanIntended.isNetplanFileName(".x.yaml") && !NetplanIntended.isNetplanFileName("a.yml"))
        #expect(NetplanIntended.isGeneratedOutput("/run/systemd/network/10-netplan-eth0.network"))
        #expect(!NetplanIntended.isGeneratedOutput("/etc/systemd/network/10-netplan-eth0.network"))
        #expect(NetplanIntended.isGeneratedOutput("/run/NetworkManager/system-connections/netplan-eth0.nmconnection"))
    }
}
