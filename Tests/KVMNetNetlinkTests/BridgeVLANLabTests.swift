import Foundation
import KVMNetModel
import KVMNetState
import Testing
@testable import KVMNetNetlink

/// VLAN-aware bridges from the qemu kernel lab's Debian 6.1 and 6.12 kernels
/// (`Fixtures/bridge-vlan-<series>/`, scenario `Tests/KernelLab/scenarios/bridge-vlan-capture.sh`,
/// written by `Tests/KernelLab/save-bridge-vlan-fixtures.sh`). The expected VLANs come
/// from iproute2 at the same moment (`<step>.bridge-vlan.json`, `bridge -c -j -d vlan
/// show`; `dump.ip-link.json`, `ip -d -j link show`), read here on their own; each
/// message's own `.expected.json` is checked by ``FixtureCorpusTests``.
@Suite struct BridgeVLANLabTests {
    static func series() -> [String] {
        let dirs = (try? FileManager.default.contentsOfDirectory(atPath: FixtureLibrary.root.path)) ?? []
        return dirs.filter { $0.hasPrefix("bridge-vlan-") }.sorted()
    }

    static func url(_ series: String, _ file: String) -> URL {
        FixtureLibrary.root.appendingPathComponent(series).appendingPathComponent(file)
    }

    static func files(_ series: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: FixtureLibrary.root.appendingPathComponent(series).path)) ?? []).sorted()
    }

    static func json(_ series: String, _ file: String) throws -> [[String: Any]] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url(series, file))) as? [[String: Any]])
    }

    /// iproute2's VLANs of each link that has any, as the model's sets.
    static func iproute2VLANs(_ series: String, _ step: String) throws -> [String: BridgeVLANSet] {
        var out: [String: BridgeVLANSet] = [:]
        for entry in try json(series, step + ".bridge-vlan.json") {
            let name = try #require(entry["ifname"] as? String)
            var ranges: [BridgeVLANSet.Range] = []
            var pvid: Int?
            for v in entry["vlans"] as? [[String: Any]] ?? [] {
                let first = try #require(v["vlan"] as? Int)
                let flags = v["flags"] as? [String] ?? []
                ranges.append(.init(first: first, last: v["vlanEnd"] as? Int ?? first, untagged: flags.contains("Egress Untagged")))
                if flags.contains("PVID") { pvid = first }
            }
            out[name] = BridgeVLANSet(ranges: ranges, pvid: pvid)
        }
        return out
    }

    static func bytes(_ series: String, _ file: String) throws -> [UInt8] {
        Array(try Data(contentsOf: url(series, file)))
    }

    /// The dump as ``NetlinkTopologyDump`` assembles it: the `AF_UNSPEC` messages of the
    /// bridges and their ports, then the `AF_BRIDGE` ones.
    static func assembledDump(_ series: String) throws -> FullDump {
        var links: [LinkUpdate] = []
        var entries: [NetlinkTopologyDump.BridgeVLANEntry] = []
        for f in files(series) where f.hasSuffix(".nlmsg") && f.hasPrefix("dump-") {
            let b = try bytes(series, f)
            if f.hasPrefix("dump-unspec-") {
                links.append(try #require(try NetlinkMessageDecoder.linkUpdate(in: b), "\(f)"))
            } else {
                let v = try #require(try NetlinkMessageDecoder.bridgeVLANs(in: b), "\(f)")
                entries.append(.init(index: v.index, vlans: v.vlans))
            }
        }
        return NetlinkTopologyDump.assemble(links: links, bridgeVLANs: entries, fdb: [], addresses: [])
    }

    static let ports = ["access0", "trunk0", "multi0", "nopvid0", "qinq0", "empty0"]

    @Test func capturesExist() {
        let series = Self.series()
        #expect(series.count >= 2, "bridge VLAN captures from \(series): run the lab's bridge-vlan-capture on 6.1 and 6.12")
        for s in series {
            let files = Set(Self.files(s))
            for name in Self.ports + ["br0", "br1"] {
                #expect(files.contains("dump-\(name).nlmsg"), "\(s): dump-\(name)")
                #expect(files.contains("dump-unspec-\(name).nlmsg"), "\(s): dump-unspec-\(name)")
            }
            #expect(files.contains { $0.hasPrefix("ev-08-leave-") && $0.contains("-dellink-bridge-") })
            #expect(files.filter { $0.hasPrefix("ev-") && $0.hasSuffix(".expected.json") }.count >= 10)
        }
    }

    @Test("bridge IFLA_BR_VLAN_* like iproute2", arguments: series())
    func bridgeAttributes(_ series: String) throws {
        var checked = 0
        for l in try Self.json(series, "dump.ip-link.json") {
            let info = l["linkinfo"] as? [String: Any] ?? [:]
            guard info["info_kind"] as? String == "bridge", let data = info["info_data"] as? [String: Any] else { continue }
            let name = try #require(l["ifname"] as? String)
            let u = try #require(try NetlinkMessageDecoder.linkUpdate(in: Self.bytes(series, "dump-unspec-\(name).nlmsg")))
            let br = try #require(u.bridge)
            #expect(br.vlanFiltering == ((data["vlan_filtering"] as? Int) == 1), "\(series) \(name)")
            #expect(br.vlanProtocol?.rawValue == data["vlan_protocol"] as? String, "\(series) \(name)")
            #expect(br.defaultPVID == data["vlan_default_pvid"] as? Int, "\(series) \(name)")
            checked += 1
        }
        #expect(checked == 2)
    }

    /// The assembled dump gives every port and each bridge's "self" the VLANs iproute2
    /// shows; a port of a VLAN-filtering bridge that iproute2 lists without VLANs has an
    /// empty set (not "unknown").
    @Test("dump: every port's VLANs like bridge vlan show", arguments: series())
    func dump(_ series: String) throws {
        let expected = try Self.iproute2VLANs(series, "dump")
        let topo = TopologyBuilder.build(links: try Self.assembledDump(series).links)
        let br0 = try #require(topo.bridges["br0"])
        let br1 = try #require(topo.bridges["br1"])
        #expect(br0.vlanProtocol == .dot1Q && br0.defaultPVID == 1 && br0.vlanAware)
        #expect(br1.vlanProtocol == .dot1ad && br1.defaultPVID == 0 && br1.vlanAware)
        #expect(br0.vlans == expected["br0"])
        #expect(br0.vlans?.text == "1,10,20" && br0.vlans?.pvid == 1 && br0.vlans?.untaggedText == "1,20")
        #expect(br1.vlans == expected["br1"])
        for p in Self.ports {
            let port = try #require(topo.bridge(containing: p)?.port(named: p), "\(series) \(p)")
            #expect(port.vlans == (expected[p] ?? BridgeVLANSet()), "\(series) \(p)")
        }
        // What the scenario built, spelled out once.
        #expect(br0.port(named: "access0")?.vlans == BridgeVLANSet(ranges: [.init(vid: 10, untagged: true)], pvid: 10))
        #expect(br0.port(named: "trunk0")?.vlans == BridgeVLANSet(ranges: [.init(vid: 1, untagged: true), .init(first: 2, last: 4094)], pvid: 1))
        #expect(br0.port(named: "multi0")?.vlans?.text == "1,10,20,30,100")
        #expect(br0.port(named: "multi0")?.vlans?.untaggedText == "1,20,100")
        #expect(br0.port(named: "nopvid0")?.vlans == BridgeVLANSet(ranges: [.init(vid: 10), .init(vid: 20)]))
        #expect(br1.port(named: "empty0")?.vlans == BridgeVLANSet())
    }

    /// The kernel's notifications of each step, applied to a ``HostState`` as the monitor
    /// delivers them (each `AF_BRIDGE` `RTM_NEWLINK` followed by the link's re-read
    /// device state), end where iproute2 says the VLANs are after the step.
    @Test("events: HostState follows bridge vlan show", arguments: series())
    func events(_ series: String) throws {
        let state = HostState(clock: { 0 })
        let dump = try Self.assembledDump(series)
        state.resync(dump, reason: .initial)
        var current: [Int: LinkUpdate] = [:]
        // What a re-read (`RTM_GETLINK`, AF_UNSPEC) returns: the device without VLANs.
        for var u in dump.links {
            u.bridgeVLANs = nil
            current[u.link.index] = u
        }
        let all = Self.files(series)
        let steps = all.filter { $0.hasPrefix("ev-") && $0.hasSuffix(".bridge-vlan.json") }.map { String($0.dropLast(".bridge-vlan.json".count)) }
        #expect(steps.count == 10)
        for step in steps {
            let messages = all.filter { $0.hasPrefix(step + "-") && $0.hasSuffix(".nlmsg") }
            #expect(!messages.isEmpty, "\(series) \(step)")
            let decoded = try messages.map { try NetlinkMessageDecoder.changes(in: Self.bytes(series, $0)) }
            // The device states a re-read returns after the step: the last AF_UNSPEC ones.
            for case .linkUpdated(let u) in decoded.joined() { current[u.link.index] = u }
            for changes in decoded {
                var batch = changes
                for case let .bridgeVLANsUpdated(index, _, _) in changes {
                    if let u = current[index] { batch.append(.linkUpdated(u)) }
                }
                state.apply(batch)
            }
            let stepName = step
            let expected = try Self.iproute2VLANs(series, stepName)
            let topo = state.snapshot().topology
            for p in Self.ports {
                let port = topo.bridge(containing: p)?.port(named: p)
                if let port {
                    #expect(port.vlans == (expected[p] ?? BridgeVLANSet()), "\(series) \(stepName) \(p)")
                } else {
                    #expect(expected[p] == nil, "\(series) \(stepName) \(p): not a port, but iproute2 lists VLANs")
                    #expect(state.snapshot().topology.links[p] != nil)
                }
            }
            #expect(topo.bridges["br0"]?.vlans == expected["br0"], "\(series) \(stepName) br0")
            #expect(topo.bridges["br1"]?.vlans == expected["br1"], "\(series) \(stepName) br1")
        }
    }
}
