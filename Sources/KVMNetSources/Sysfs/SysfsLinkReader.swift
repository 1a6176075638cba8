import KVMNetModel

/// Reads one `/sys/class/net/<dev>/` directory into a ``LinkUpdate``.
///
/// Attributes the kernel refuses in the device's current state (`carrier` and `speed` of a
/// down link, `ad_*` of a bond in another mode) are simply absent. A device that vanishes
/// while being read gives a ``ReadError`` whose `isMissing` is true.
public struct SysfsLinkReader: Sendable {
    /// `<sysfs>/class/net`.
    public var classNet: String

    public init(sysfsRoot: String) {
        self.classNet = sysfsRoot + "/class/net"
    }

    /// Device names, sorted.
    ///
    /// Only directories are devices: `bonding_masters`, the regular file the bonding
    /// module adds to `/sys/class/net`, is left out. An entry that cannot be told (it
    /// vanished since the listing, or is a link to nothing) is kept, so that its read
    /// reports it as gone.
    public func deviceNames() -> Result<[String], ReadError> {
        FileReader.list(classNet).map { names in
            names.filter { name in
                if case .success(false) = FileReader.isDirectory(classNet + "/" + name) { return false }
                return true
            }
        }
    }

    /// Reads a device. Non-fatal problems (an unreadable attribute) are appended to `problems`.
    public func read(_ name: String, problems: inout [ReadError]) -> Result<LinkUpdate, ReadError> {
        let dir = "\(classNet)/\(name)"
        // The operstate file exists for every device: its absence means the device is gone.
        let operstate: String
        switch FileReader.readValue(dir + "/operstate") {
        case .success(let v): operstate = v
        case .failure(let e): return .failure(e)
        }
        var p = problems
        defer { problems = p }
        func value(_ attr: String) -> String? {
            switch FileReader.readValue(dir + "/" + attr) {
            case .success(let v): return v
            case .failure(let e):
                if !e.isNotApplicable && !e.isMissing { p.append(e) }
                return nil
            }
        }
        func int(_ attr: String) -> Int? { value(attr).flatMap { SysfsValue.int($0) } }

        let uevent = SysfsValue.keyValues(value("uevent") ?? "")
        let entries = (try? FileReader.list(dir).get()) ?? []
        let has = Set(entries)
        let kind = SysfsValue.kind(name: name, devtype: uevent["DEVTYPE"], entries: has,
                                   ifindex: int("ifindex"), iflink: int("iflink"), type: int("type"))
        let flags = value("flags").flatMap { SysfsValue.int($0) }
        let speed = int("speed").flatMap { $0 > 0 ? $0 : nil }
        var link = Link(
            name: name, index: int("ifindex") ?? 0, kind: kind,
            operState: OperState(rawValue: operstate) ?? .unknown,
            adminUp: flags.map { $0 & 0x1 != 0 },
            carrier: int("carrier").map { $0 != 0 },
            carrierChanges: value("carrier_changes").flatMap { UInt64($0) },
            mtu: int("mtu"), address: value("address").map(MACAddress.normalize),
            speedMbps: speed)
        if has.contains("master"), case .success(let target) = FileReader.readLink(dir + "/master") {
            link.master = FileReader.basename(target)
        }
        link.lowers = entries.filter { $0.hasPrefix("lower_") }.map { String($0.dropFirst(6)) }

        var update = LinkUpdate(link: link)
        if has.contains("bridge") { update.bridge = readBridge(dir + "/bridge", name: name, value: value) }
        if has.contains("brport") { update.bridgePort = readBridgePort(name: name, value: value) }
        if has.contains("bonding") {
            var bond = readBond(name: name, carrier: link.carrier, value: value)
            bond.slaves = readBondSlaves(dir, entries: entries, value: value)
            update.bond = bond
        }
        if has.contains("bonding_slave") { update.bondSlave = readBondSlave(name: name, value: value) }
        // sysfs has no VLAN id: /proc/net/vlan/config or netlink supply it (never guessed
        // from the name, so that a name/id mismatch stays visible).
        return .success(update)
    }

    func readBridge(_ dir: String, name: String, value: (String) -> String?) -> Bridge {
        Bridge(
            name: name,
            stpEnabled: (value("bridge/stp_state").flatMap { Int($0) } ?? 0) != 0,
            ageingTimeSeconds: value("bridge/ageing_time").flatMap { Double($0) }.map { $0 / 100 },
            forwardDelaySeconds: value("bridge/forward_delay").flatMap { Double($0) }.map { $0 / 100 },
            // These three exist only on kernels with CONFIG_BRIDGE_VLAN_FILTERING. The
            // VLANs themselves (per port, and the bridge's own) are not in sysfs at all:
            // `vlans` stays nil, never guessed.
            vlanFiltering: value("bridge/vlan_filtering").flatMap { Int($0) }.map { $0 != 0 },
            vlanProtocol: value("bridge/vlan_protocol").flatMap { SysfsValue.int($0) }
                .flatMap { UInt16(exactly: $0) }.flatMap { VLANProtocol(etherType: $0) },
            defaultPVID: value("bridge/default_pvid").flatMap { SysfsValue.int($0) })
    }

    func readBridgePort(name: String, value: (String) -> String?) -> BridgePort {
        BridgePort(
            name: name,
            state: value("brport/state").flatMap { Int($0) }.flatMap { BridgePortState(rawValue: $0) } ?? .disabled,
            pathCost: value("brport/path_cost").flatMap { SysfsValue.int($0) },
            priority: value("brport/priority").flatMap { SysfsValue.int($0) },
            portNumber: value("brport/port_no").flatMap { SysfsValue.int($0) })
    }

    func readBond(name: String, carrier: Bool?, value: (String) -> String?) -> Bond {
        func word(_ a: String) -> String? { value("bonding/" + a).map { SysfsValue.firstWord($0) } }
        func num(_ a: String) -> Int? { value("bonding/" + a).flatMap { SysfsValue.int(SysfsValue.firstWord($0)) } }
        let mode = word("mode").map { BondMode(rawValue: $0) ?? .unknown } ?? .unknown
        let miimon = num("miimon") ?? 0
        var bond = Bond(
            name: name, mode: mode,
            xmitHashPolicy: (mode == .balanceXOR || mode == .ieee8023ad) ? word("xmit_hash_policy") : nil,
            miiUp: word("mii_status").map { $0 == "up" } ?? (carrier ?? false),
            miimonMs: miimon,
            updelayMs: num("updelay") ?? 0, downdelayMs: num("downdelay") ?? 0,
            arpIntervalMs: num("arp_interval") ?? 0,
            arpTargets: (value("bonding/arp_ip_target") ?? "").split(separator: " ").map(String.init),
            primary: word("primary").flatMap { $0.isEmpty ? nil : $0 },
            activeSlave: word("active_slave").flatMap { $0.isEmpty ? nil : $0 },
            failOverMAC: mode == .activeBackup ? word("fail_over_mac") : nil,
            minLinks: num("min_links"))
        if mode == .ieee8023ad {
            var lacp = LACPInfo(rate: word("lacp_rate"), adSelect: word("ad_select"),
                                active: word("lacp_active").map { $0 == "on" },
                                systemPriority: num("ad_actor_sys_prio"),
                                systemMAC: word("ad_actor_system"))
            if let agg = num("ad_aggregator") {
                lacp.activeAggregator = LACPAggregator(
                    id: agg, ports: num("ad_num_ports") ?? 0, actorKey: num("ad_actor_key") ?? 0,
                    partnerKey: num("ad_partner_key") ?? 0,
                    partnerMAC: word("ad_partner_mac") ?? "00:00:00:00:00:00")
            } else {
                lacp.aggregatorVisible = false
            }
            bond.lacp = lacp
        }
        return bond
    }

    /// The slaves a bond's own directory shows: every name of `bonding/slaves` and of its
    /// `lower_<dev>` or `slave_<dev>` links (``SysfsValue/bondSlaveNames(slavesFile:entries:)``),
    /// each read through `lower_<dev>`, or `slave_<dev>` where that is missing (older
    /// kernels). So a slave is counted even when the tree lacks its own directory. A
    /// slave with neither link, or whose link has no `bonding_slave/` (kernels before
    /// 3.13), is left to its own directory and to `/proc/net/bonding`.
    func readBondSlaves(_ dir: String, entries: [String], value: (String) -> String?) -> [BondSlave] {
        let has = Set(entries)
        var slaves: [BondSlave] = []
        for slave in SysfsValue.bondSlaveNames(slavesFile: value("bonding/slaves"), entries: entries) {
            let through = ["lower_" + slave, "slave_" + slave].first {
                has.contains($0) && FileReader.exists("\(dir)/\($0)/bonding_slave")
            }
            guard let through else { continue }
            slaves.append(readBondSlave(name: slave, value: { value(through + "/" + $0) }))
        }
        return slaves
    }

    func readBondSlave(name: String, value: (String) -> String?) -> BondSlave {
        func v(_ a: String) -> String? { value("bonding_slave/" + a) }
        return BondSlave(
            name: name,
            miiStatus: v("mii_status").flatMap { MIIStatus(rawValue: $0) } ?? .unknown,
            isActive: v("state").map { $0 == "active" },
            linkFailureCount: v("link_failure_count").flatMap { UInt64($0) } ?? 0,
            permanentAddress: v("perm_hwaddr").map(MACAddress.normalize),
            queueID: v("queue_id").flatMap { Int($0) },
            aggregatorID: v("ad_aggregator_id").flatMap { Int($0) },
            actorPortState: v("ad_actor_oper_port_state").flatMap { UInt8($0) },
            partnerPortState: v("ad_partner_oper_port_state").flatMap { UInt8($0) })
    }
}

/// Pure helpers for sysfs attribute text.
public enum SysfsValue {
    /// Decimal or `0x` hexadecimal.
    public static func int(_ s: String) -> Int? {
        let t = s.trimmingWhitespace
        if t.hasPrefix("0x") { return Int(t.dropFirst(2), radix: 16) }
        return Int(t)
    }

    /// `active-backup 1` -> `active-backup`.
    public static func firstWord(_ s: String) -> String {
        s.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
    }

    /// A bond's slave names: those of its `bonding/slaves` file (`eth0 eth4`, the kernel's
    /// order), then those of its `lower_<dev>` and `slave_<dev>` entries that the file does
    /// not name (unreadable or missing, in a captured tree), each name once.
    public static func bondSlaveNames(slavesFile: String?, entries: [String]) -> [String] {
        var names = (slavesFile ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init)
        var seen = Set(names)
        for entry in entries {
            for prefix in ["lower_", "slave_"] where entry.hasPrefix(prefix) && entry.count > prefix.count {
                let name = String(entry.dropFirst(prefix.count))
                if seen.insert(name).inserted { names.append(name) }
            }
        }
        return names
    }

    /// `KEY=value` lines (uevent).
    public static func keyValues(_ s: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in s.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { out[String(parts[0])] = String(parts[1]) }
        }
        return out
    }

    /// Device kind from what sysfs shows.
    public static func kind(name: String, devtype: String?, entries: Set<String>,
                            ifindex: Int?, iflink: Int?, type: Int?) -> LinkKind {
        if entries.contains("bridge") || devtype == "bridge" { return .bridge }
        if entries.contains("bonding") || devtype == "bond" { return .bond }
        if devtype == "vlan" { return .vlan }
        if devtype == "vxlan" { return .vxlan }
        if entries.contains("tun_flags") { return .tap }
        if type == 772 || name == "lo" { return .loopback }
        if entries.contains("device") { return .physical }
        if let a = ifindex, let b = iflink, a != b { return .veth }
        if name.hasPrefix("dummy") { return .dummy }
        return .other
    }
}

extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\n" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\n" { s = s.dropLast() }
        return String(s)
    }
}
