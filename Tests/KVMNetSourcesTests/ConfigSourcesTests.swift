import Foundation
import KVMNetModel
import KVMNetSources
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
