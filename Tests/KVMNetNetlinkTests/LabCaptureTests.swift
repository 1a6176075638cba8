import Foundation
import KVMNetModel
import KVMNetNetlink
import Testing

/// Real `RTM_NEWLINK` messages of bonds, bond slaves, VLANs and bridges from the qemu
/// kernel lab's Debian 6.1 and 6.12 kernels (`Fixtures/lab-<series>/`, written by
/// `Tests/KernelLab/save-netlink-fixtures.sh`). Each step's expected values come from
/// iproute2's decoding of the same kernel state at the same moment
/// (`<scenario>-<step>.ip-link.json`, `ip -d -j link show`) and, for the bond's
/// mode/active slave/slave counters, `/proc/net/bonding/<bond>`.
@Suite struct LabCaptureTests {
    /// A captured step: `lab-<series>/<scenario>-<step>` (the prefix of its files).
    static func steps() -> [String] {
        let fm = FileManager.default
        guard let dirs = try? fm.contentsOfDirectory(atPath: FixtureLibrary.root.path) else { return [] }
        var out: [String] = []
        for dir in dirs.sorted() where dir.hasPrefix("lab-") {
            let files = (try? fm.contentsOfDirectory(atPath: FixtureLibrary.root.appendingPathComponent(dir).path)) ?? []
            for f in files.sorted() where f.hasSuffix(".ip-link.json") {
                out.append(dir + "/" + String(f.dropLast(".ip-link.json".count)))
            }
        }
        return out
    }

    @Test func capturesExist() {
        let steps = Self.steps()
        #expect(!steps.isEmpty, "no lab captures: run Tests/KernelLab/run-lab.sh and save-netlink-fixtures.sh")
        let series = Set(steps.map { $0.split(separator: "/")[0] })
        // Both lab kernels (6.1 and 6.12) when the lab ran on both.
        #expect(series.count >= 2, "captures from one kernel only: \(series.sorted())")
        // Every kind the decoder handles appears somewhere.
        let names = FixtureLibrary.allMessageNames().filter { $0.hasPrefix("lab-") }
        #expect(names.contains { $0.contains("-bond0.10.nlmsg") })
        #expect(names.contains { $0.contains("lacp-partner-converged-bond0.nlmsg") })
        #expect(names.contains { $0.contains("brvlan-10.nlmsg") })
    }

    @Test("captured step decodes like iproute2", arguments: steps())
    func step(_ step: String) throws {
        let base = FixtureLibrary.root.appendingPathComponent(step)
        let jsonURL = URL(fileURLWithPath: base.path + ".ip-link.json")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: jsonURL)) as? [[String: Any]])
        var indexByName: [String: Int] = [:]
        for l in json {
            if let n = l["ifname"] as? String, let i = l["ifindex"] as? Int { indexByName[n] = i }
        }
        var checked = 0
        for l in json {
            let name = try #require(l["ifname"] as? String)
            let info = l["linkinfo"] as? [String: Any] ?? [:]
            let kind = info["info_kind"] as? String
            let slaveKind = info["info_slave_kind"] as? String
            guard ["bond", "vlan", "bridge"].contains(kind) || slaveKind == "bond" else { continue }
            let msgURL = URL(fileURLWithPath: base.path + "-" + name + ".nlmsg")
            let bytes = Array(try Data(contentsOf: msgURL))
            let u = try #require(try NetlinkMessageDecoder.linkUpdate(in: bytes), "\(step) \(name): no link update")
            let ctx = "\(step) \(name)"
            try checkCommon(u, l, indexByName, ctx)
            let data = info["info_data"] as? [String: Any] ?? [:]
            switch kind {
            case "bond": try checkBond(u, data, indexByName, ctx)
            case "vlan": try checkVLAN(u, l, data, indexByName, ctx)
            case "bridge": try checkBridge(u, data, ctx)
            default: break
            }
            if slaveKind == "bond" {
                try checkBondSlave(u, info["info_slave_data"] as? [String: Any] ?? [:], ctx)
            }
            checked += 1
        }
        #expect(checked > 0, "\(step): no bond, slave, VLAN or bridge in the JSON")
        try checkProcBonding(step, base, indexByName)
    }

    // MARK: - per kind

    func checkCommon(_ u: LinkUpdate, _ l: [String: Any], _ idx: [String: Int], _ ctx: String) throws {
        #expect(u.link.name == l["ifname"] as? String, "\(ctx)")
        #expect(u.link.index == l["ifindex"] as? Int, "\(ctx)")
        #expect(u.link.mtu == l["mtu"] as? Int, "\(ctx)")
        #expect(u.link.address == l["address"] as? String, "\(ctx)")
        #expect(u.link.operState.rawValue == (l["operstate"] as? String)?.lowercased(), "\(ctx)")
        if let master = l["master"] as? String {
            #expect(u.masterIndex == idx[master], "\(ctx): master \(master)")
        } else {
            #expect(u.masterIndex == nil, "\(ctx): no master")
        }
    }

    func checkBond(_ u: LinkUpdate, _ d: [String: Any], _ idx: [String: Int], _ ctx: String) throws {
        #expect(u.link.kind == .bond, "\(ctx)")
        let b = try #require(u.bond, "\(ctx): no bond data")
        #expect(b.mode.rawValue == d["mode"] as? String, "\(ctx): mode")
        #expect(b.miimonMs == d["miimon"] as? Int, "\(ctx): miimon")
        #expect(b.updelayMs == d["updelay"] as? Int, "\(ctx): updelay")
        #expect(b.downdelayMs == d["downdelay"] as? Int, "\(ctx): downdelay")
        #expect(b.arpIntervalMs == d["arp_interval"] as? Int, "\(ctx): arp_interval")
        #expect(b.minLinks == d["min_links"] as? Int, "\(ctx): min_links")
        if b.mode == .balanceXOR || b.mode == .ieee8023ad {
            #expect(b.xmitHashPolicy == d["xmit_hash_policy"] as? String, "\(ctx): xmit_hash_policy")
        }
        if b.mode == .activeBackup {
            #expect(b.failOverMAC == d["fail_over_mac"] as? String, "\(ctx): fail_over_mac")
        }
        // iproute2 prints the active slave by name (resolved from the same ifindex).
        if let active = d["active_slave"] as? String {
            #expect(u.bondActiveSlaveIndex != nil && u.bondActiveSlaveIndex == idx[active], "\(ctx): active slave \(active)")
        } else {
            #expect(u.bondActiveSlaveIndex == nil, "\(ctx): no active slave")
        }
        if b.mode.hasActiveSlave {
            #expect(d["active_slave"] != nil, "\(ctx): \(b.mode) bond without active slave in the capture")
        }
        if let primary = d["primary"] as? String {
            #expect(u.bondPrimaryIndex == idx[primary], "\(ctx): primary")
        } else {
            #expect(u.bondPrimaryIndex == nil, "\(ctx): no primary")
        }
        if b.mode == .ieee8023ad {
            let lacp = try #require(b.lacp, "\(ctx): 802.3ad without LACP info")
            #expect(lacp.rate == d["ad_lacp_rate"] as? String, "\(ctx): lacp rate")
            #expect(lacp.adSelect == d["ad_select"] as? String, "\(ctx): ad_select")
            #expect(lacp.systemPriority == d["ad_actor_sys_prio"] as? Int, "\(ctx): sys prio")
            #expect(lacp.systemMAC == d["ad_actor_system"] as? String, "\(ctx): actor system")
            if let active = d["ad_lacp_active"] as? String {
                #expect(lacp.active == (active == "on"), "\(ctx): lacp active")
            }
            let ad = try #require(d["ad_info"] as? [String: Any], "\(ctx): iproute2 shows no ad_info")
            let agg = try #require(lacp.activeAggregator, "\(ctx): no active aggregator")
            #expect(agg.id == ad["aggregator"] as? Int, "\(ctx): aggregator")
            #expect(agg.ports == ad["num_ports"] as? Int, "\(ctx): num_ports")
            #expect(agg.actorKey == ad["actor_key"] as? Int, "\(ctx): actor_key")
            #expect(agg.partnerKey == ad["partner_key"] as? Int, "\(ctx): partner_key")
            #expect(agg.partnerMAC == ad["partner_mac"] as? String, "\(ctx): partner_mac")
        } else {
            #expect(b.lacp == nil, "\(ctx): LACP info on a \(b.mode) bond")
        }
    }

    func checkBondSlave(_ u: LinkUpdate, _ d: [String: Any], _ ctx: String) throws {
        let s = try #require(u.bondSlave, "\(ctx): no bond slave data")
        let state = try #require(d["state"] as? String)
        #expect(s.isActive == (state == "ACTIVE"), "\(ctx): state \(state)")
        #expect(s.miiStatus.rawValue.uppercased() == d["mii_status"] as? String, "\(ctx): mii_status")
        #expect(s.linkFailureCount == (d["link_failure_count"] as? Int).map(UInt64.init), "\(ctx): link failure count")
        #expect(s.permanentAddress == d["perm_hwaddr"] as? String, "\(ctx): perm_hwaddr")
        #expect(s.queueID == d["queue_id"] as? Int, "\(ctx): queue_id")
        #expect(s.aggregatorID == d["ad_aggregator_id"] as? Int, "\(ctx): aggregator id")
        #expect(s.actorPortState.map(Int.init) == d["ad_actor_oper_port_state"] as? Int, "\(ctx): actor port state")
        #expect(s.partnerPortState.map(Int.init) == d["ad_partner_oper_port_state"] as? Int, "\(ctx): partner port state")
    }

    func checkVLAN(_ u: LinkUpdate, _ l: [String: Any], _ d: [String: Any], _ idx: [String: Int], _ ctx: String) throws {
        #expect(u.link.kind == .vlan, "\(ctx)")
        let v = try #require(u.vlan, "\(ctx): no VLAN data")
        #expect(v.id == d["id"] as? Int, "\(ctx): vlan id")
        #expect(v.proto == d["protocol"] as? String, "\(ctx): vlan protocol")
        let parent = try #require(l["link"] as? String, "\(ctx): iproute2 shows no parent")
        #expect(u.lowerIndex != nil && u.lowerIndex == idx[parent], "\(ctx): lower index = \(parent)")
    }

    func checkBridge(_ u: LinkUpdate, _ d: [String: Any], _ ctx: String) throws {
        #expect(u.link.kind == .bridge, "\(ctx)")
        let br = try #require(u.bridge, "\(ctx): no bridge data")
        #expect(br.stpEnabled == ((d["stp_state"] as? Int).map { $0 != 0 }), "\(ctx): stp_state")
        // iproute2 prints the raw clock_t values (USER_HZ = 100).
        if let ageing = d["ageing_time"] as? Int {
            #expect(br.ageingTimeSeconds.map { Int(($0 * 100).rounded()) } == ageing, "\(ctx): ageing_time")
        }
        if let fd = d["forward_delay"] as? Int {
            #expect(br.forwardDelaySeconds.map { Int(($0 * 100).rounded()) } == fd, "\(ctx): forward_delay")
        }
        if let vf = d["vlan_filtering"] as? Int, let decoded = br.vlanFiltering {
            #expect(decoded == (vf != 0), "\(ctx): vlan_filtering")
        }
    }

    // MARK: - /proc/net/bonding of the same step

    /// Mode, active slave and each slave's MII status and link failure count, as procfs
    /// shows them, against the decoded bond and slave messages.
    func checkProcBonding(_ step: String, _ base: URL, _ idx: [String: Int]) throws {
        let dir = base.deletingLastPathComponent()
        let prefix = base.lastPathComponent + ".proc_net_bonding_"
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(prefix) }
        for f in files.sorted() {
            let bondName = String(f.dropFirst(prefix.count))
            let ctx = "\(step) /proc/net/bonding/\(bondName)"
            let text = try String(contentsOf: dir.appendingPathComponent(f), encoding: .utf8)
            let bondURL = URL(fileURLWithPath: base.path + "-" + bondName + ".nlmsg")
            let bond = try #require(try NetlinkMessageDecoder.linkUpdate(in: Array(Data(contentsOf: bondURL))), "\(ctx)")
            var slave: String?
            var seenSlaves: [String] = []
            for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
                func value(_ key: String) -> String? {
                    line.hasPrefix(key + ": ") ? String(line.dropFirst(key.count + 2)) : nil
                }
                if let m = value("Bonding Mode") {
                    #expect(bond.bond?.mode == BondMode(procfsDescription: m), "\(ctx): mode")
                } else if let a = value("Currently Active Slave") {
                    #expect(bond.bondActiveSlaveIndex == (a == "None" ? nil : idx[a]), "\(ctx): active slave")
                } else if let s = value("Slave Interface") {
                    slave = s
                    seenSlaves.append(s)
                } else if let s = slave, let mii = value("MII Status") {
                    let su = try decodedSlave(base, s, ctx)
                    #expect(su.bondSlave?.miiStatus == MIIStatus(rawValue: mii), "\(ctx): \(s) MII status")
                } else if let s = slave, let n = value("Link Failure Count") {
                    let su = try decodedSlave(base, s, ctx)
                    #expect(su.bondSlave?.linkFailureCount == UInt64(n), "\(ctx): \(s) link failure count")
                } else if let s = slave, let a = value("Aggregator ID") {
                    let su = try decodedSlave(base, s, ctx)
                    #expect(su.bondSlave?.aggregatorID == Int(a), "\(ctx): \(s) aggregator id")
                }
            }
            #expect(!seenSlaves.isEmpty, "\(ctx): no slaves")
            for s in seenSlaves {
                #expect(try decodedSlave(base, s, ctx).masterIndex == idx[bondName], "\(ctx): \(s) master")
            }
        }
    }

    func decodedSlave(_ base: URL, _ name: String, _ ctx: String) throws -> LinkUpdate {
        let url = URL(fileURLWithPath: base.path + "-" + name + ".nlmsg")
        return try #require(try NetlinkMessageDecoder.linkUpdate(in: Array(Data(contentsOf: url))), "\(ctx): \(name)")
    }
}
