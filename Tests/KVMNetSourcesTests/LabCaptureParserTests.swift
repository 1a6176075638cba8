import Foundation
import KVMNetModel
import KVMNetSources
import Testing

/// The real /proc/net/bonding and /proc/net/vlan/config files that Debian's 6.1 and 6.12
/// kernels produced in the qemu lab (Tests/KernelLab/captured), each parsed and compared
/// with what iproute2 decoded from netlink at the same moment (`ip -d -j link`).
@Suite struct LabCaptureParserTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("KernelLab/captured")

    /// Every directory holding a capture step (it has ip-d-j-link.json).
    static func steps() -> [URL] {
        guard let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        return e.compactMap { $0 as? URL }.filter { $0.lastPathComponent == "ip-d-j-link.json" }
            .map { $0.deletingLastPathComponent() }.sorted { $0.path < $1.path }
    }

    static func links(_ step: URL) throws -> [String: [String: Any]] {
        let data = try Data(contentsOf: step.appendingPathComponent("ip-d-j-link.json"))
        let list = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        var out: [String: [String: Any]] = [:]
        for l in list { if let n = l["ifname"] as? String { out[n] = l } }
        return out
    }

    @Test func bothKernelsAndEveryScenarioAreCaptured() {
        let s = Self.steps().map { $0.path }
        #expect(s.count >= 20)
        #expect(s.contains { $0.contains("/6.1.") && $0.contains("lacp-partner") })
        #expect(s.contains { $0.contains("/6.12.") && $0.contains("kvm-layout") })
    }

    @Test func bondingFilesAgreeWithNetlink() throws {
        var compared = 0
        for step in Self.steps() {
            let links = try Self.links(step)
            let dir = step.appendingPathComponent("proc/net/bonding")
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            for name in names.sorted() {
                let path = dir.appendingPathComponent(name).path
                let text = try String(contentsOfFile: path, encoding: .utf8)
                let file = try BondingFileParser.parse(text, name: name, file: path)
                let bond = file.bond
                let where_ = "\(step.path) \(name)"
                let info = (links[name]?["linkinfo"] as? [String: Any])?["info_data"] as? [String: Any]
                #expect(info?["mode"] as? String == bond.mode.rawValue, "\(where_)")
                #expect(info?["miimon"] as? Int == bond.miimonMs, "\(where_)")
                #expect(info?["active_slave"] as? String == bond.activeSlave, "\(where_)")
                #expect(file.driverVersion?.hasPrefix("v6.") == true, "\(where_)")
                for s in bond.slaves {
                    let sd = (links[s.name]?["linkinfo"] as? [String: Any])?["info_slave_data"] as? [String: Any]
                    let w = "\(where_) \(s.name)"
                    #expect((sd?["mii_status"] as? String)?.lowercased() == s.miiStatus.rawValue, "\(w)")
                    #expect((sd?["link_failure_count"] as? Int).map(UInt64.init) == s.linkFailureCount, "\(w)")
                    if bond.mode == .ieee8023ad {
                        #expect(sd?["ad_aggregator_id"] as? Int == s.aggregatorID, "\(w)")
                        #expect((sd?["ad_actor_oper_port_state"] as? Int).map(UInt8.init) == s.actorPortState, "\(w)")
                        #expect((sd?["ad_partner_oper_port_state"] as? Int).map(UInt8.init) == s.partnerPortState, "\(w)")
                    }
                    if bond.mode == .activeBackup {
                        #expect((sd?["state"] as? String == "ACTIVE") == (s.isActive ?? false), "\(w)")
                    } else {
                        #expect(s.isActive == nil, "\(w)")
                    }
                    compared += 1
                }
                if bond.mode == .ieee8023ad, let agg = bond.lacp?.activeAggregator {
                    let ad = info?["ad_info"] as? [String: Any]
                    #expect(ad?["aggregator"] as? Int == agg.id, "\(where_)")
                    #expect(ad?["num_ports"] as? Int == agg.ports, "\(where_)")
                    #expect(ad?["partner_mac"] as? String == agg.partnerMAC, "\(where_)")
                }
            }
        }
        #expect(compared >= 40)
    }

    @Test func lacpPartnerAndNoPartnerAsTheKernelShowed() throws {
        for step in Self.steps() where step.path.hasSuffix("lacp-partner/converged") || step.path.hasSuffix("lacp-no-partner/settled") {
            let path = step.appendingPathComponent("proc/net/bonding/bond0").path
            let bond = try BondingFileParser.parse(try String(contentsOfFile: path, encoding: .utf8), name: "bond0", file: path).bond
            let agg = try #require(bond.lacp?.activeAggregator)
            if step.path.contains("no-partner") {
                #expect(!agg.partnerPresent)
                #expect(agg.ports == 1)
            } else {
                #expect(agg.partnerPresent)
                #expect(agg.ports == 2)
                #expect(bond.slaves.allSatisfy { $0.actorPortState == 63 && $0.partnerPortState == 63 })
            }
        }
    }

    @Test func vlanConfigAgreesWithNetlink() throws {
        var seen = 0
        for step in Self.steps() where step.path.contains("kvm-layout") {
            let path = step.appendingPathComponent("proc/net/vlan/config").path
            let file = try VLANConfigParser.parse(try String(contentsOfFile: path, encoding: .utf8), file: path)
            let links = try Self.links(step)
            #expect(file.entries.map(\.device).sorted() == ["bond0.10", "bond0.20"])
            for e in file.entries {
                let data = (links[e.device]?["linkinfo"] as? [String: Any])?["info_data"] as? [String: Any]
                #expect(data?["id"] as? Int == e.id)
                #expect(links[e.device]?["link"] as? String == e.parent)
                seen += 1
            }
        }
        #expect(seen >= 4)
    }
}
