import KVMNetModel
import KVMNetSources

/// Drift between what the configuration systems intend (``IntendedNetwork``) and what
/// runs, for every system: one engine, ``ConfigDrift``, and one check per kind of
/// difference. ifcfg's bond, VLAN, bridge-membership and missing-device differences keep
/// their established id, `config.ifcfg_drift` (``ConfigChecks``); the kinds it never had
/// (extra bridge ports, bridge VLANs, MTU) are reported here for ifcfg too.
enum DriftChecks {
    static let all: [Check] = [
        bondDrift, vlanDrift, bridgePortDrift, bridgeVLANDrift, mtuDrift, deviceMissing, deviceUnconfigured,
        nameIDMismatch, managedTwice,
    ]

    /// Skips when no configuration system is in use (or its files could not be read).
    static func noConfiguration(_ ctx: CheckContext) -> String? {
        if ctx.intended.systems.isEmpty {
            for source in [Source.ifcfg, .ifupdown, .networkManager, .networkd, .netplan] {
                if let denied = ctx.deniedRead(source) { return CheckContext.needsPrivilege(denied) }
            }
            return "no network configuration found (ifcfg, /etc/network/interfaces, NetworkManager keyfiles, systemd-networkd .netdev/.network files, netplan /etc/netplan/*.yaml)"
        }
        return nil
    }

    /// Whether `config.ifcfg_drift` reports this difference (ifcfg's established kinds).
    static func isIfcfgDrift(_ system: ConfigSystem, _ category: ConfigDrift.Category) -> Bool {
        system == .ifcfg && ConfigChecks.ifcfgDriftCategories.contains(category)
    }

    /// A check reporting some categories of ``ConfigDrift``, for every system, less what
    /// `config.ifcfg_drift` reports.
    private static func driftCheck(_ id: String, _ categories: Set<ConfigDrift.Category>, title: String) -> Check {
        Check(id: id, family: .config, severity: .warn, title: title) { ctx in
            if let reason = noConfiguration(ctx) { return .skipped(reason) }
            return .ran(ctx.intended.devices.compactMap { d in
                let diffs = ConfigDrift.differences(d, ctx: ctx).filter { categories.contains($0.category) && !isIfcfgDrift(d.system, $0.category) }
                let category = diffs.first?.category
                guard !diffs.isEmpty else { return nil }
                return Finding(
                    check: id, severity: .warn, subject: d.name,
                    explanation: "\(d.name) runs differently from its \(d.system.displayName) configuration (\(d.profile.map { "profile \($0) in " } ?? "")\(d.file)): \(diffs.map(\.what).joined(separator: "; ")). \(category == .missing ? "It is not there for whatever runs on it." : "The next reboot or reload changes the network under the running VMs.")",
                    evidence: diffs.flatMap(\.evidence),
                    fix: ConfigFix.apply(d, diffs, ctx: ctx),
                    devices: [d.name])
            })
        }
    }

    static let bondDrift = driftCheck("config.bond_drift", [.bond],
        title: "A configured bond's mode, miimon or slaves differ from the running bond")
    static let vlanDrift = driftCheck("config.vlan_drift", [.vlan],
        title: "A configured VLAN device's id or parent differs from the running one")
    static let bridgePortDrift = driftCheck("config.bridge_port_drift", [.bridgePort, .extraPort],
        title: "A device is configured in another bridge than it runs in, or a running uplink port is not configured")
    static let bridgeVLANDrift = driftCheck("config.bridge_vlan_drift", [.bridgeVLAN],
        title: "A bridge's VLAN filtering, or a port's configured VLANs or PVID, differ from the running ones")
    static let mtuDrift = driftCheck("config.mtu_drift", [.mtu],
        title: "A configured MTU differs from the running one")
    static let deviceMissing = driftCheck("config.device_missing", [.missing],
        title: "A device configured to come up at boot does not run")

    static let deviceUnconfigured = Check(
        id: "config.device_unconfigured", family: .config, severity: .warn,
        title: "A running bond, VLAN or bridge that no configuration creates (lost at reboot)"
    ) { ctx in
        if let reason = noConfiguration(ctx) { return .skipped(reason) }
        let configured = Set(ctx.intended.devices.map(\.name))
        let libvirtBridges = Set(ctx.facts.networks.compactMap(\.bridge))
        var virtual: [(String, String, Evidence)] = []
        for b in ctx.sortedBonds { virtual.append((b.name, "bond", ctx.evidence.bond(b.name, "Bonding Mode", b.mode.rawValue))) }
        for v in ctx.sortedVLANs { virtual.append((v.name, "VLAN device", ctx.evidence.vlan(v))) }
        for b in ctx.sortedBridges { virtual.append((b.name, "bridge", ctx.evidence.bridgePorts(b))) }
        let systems = ctx.intended.systems.map(\.system.displayName).joined(separator: ", ")
        return .ran(virtual.compactMap { name, what, evidence in
            guard !configured.contains(name), !libvirtBridges.contains(name), !runtimeOnly(name),
                  !runtimeOnly(ctx.topology.bridge(containing: name)?.name ?? "") || what != "VLAN device" else { return nil }
            return Finding(
                check: "config.device_unconfigured", severity: .warn, subject: name,
                explanation: "\(name) (a \(what)) runs, but no configuration creates it (read: \(systems)). It was made by hand (ip link add, brctl addbr) and is lost at the next reboot, with whatever depends on it.",
                evidence: [evidence, ctx.evidence.model("configured devices", configured.sorted().joined(separator: " "))],
                fix: ConfigFix.create(name, kind: what, ctx: ctx),
                devices: [name])
        })
    }

    /// Devices that other software makes at run time and no configuration should name:
    /// Proxmox's firewall bridges and per-VLAN bridges (`fwbr100i0`, `vmbr0v10`), libvirt's `virbr*`.
    /// (A VLAN device in such a bridge, `eno1.10` under `vmbr0v10`, is Proxmox's too.)
    static func runtimeOnly(_ name: String) -> Bool {
        if name.hasPrefix("fwbr") || name.hasPrefix("fwln") || name.hasPrefix("fwpr") || name.hasPrefix("virbr") { return true }
        if name.hasPrefix("vmbr"), let v = name.firstIndex(of: "v"), let v2 = name[name.index(after: v)...].firstIndex(of: "v") {
            return name[name.index(after: v2)...].allSatisfy(\.isNumber) && !name[name.index(after: v2)...].isEmpty
        }
        return false
    }

    static let nameIDMismatch = Check(
        id: "config.name_id_mismatch", family: .config, severity: .fail,
        title: "A configuration file's or profile's name says another VLAN id or device than its content"
    ) { ctx in
        if let reason = noConfiguration(ctx) { return .skipped(reason) }
        return .ran(ctx.intended.devices.filter { $0.system != .ifcfg }.compactMap { d in
            let problems = NameClaims.mismatches(d, ctx: ctx)
            guard !problems.isEmpty else { return nil }
            let label = problems[0].label
            return Finding(
                check: "config.name_id_mismatch", severity: .fail, subject: label.origin.value,
                explanation: "\(label.origin.value) contradicts itself: its name \(label.value) says \(problems.map(\.named).joined(separator: " and ")) but it sets \(problems.map(\.sets).joined(separator: " and ")), as if it was copied from another one and not fully edited. When it is applied the device comes up in the wrong VLAN or clashes with the original.",
                evidence: problems.map { ctx.evidence.config($0.setting) },
                fix: problems.map { ConfigFix.edit(d, $0.setting, to: $0.expected) }.joined(separator: "; ") + "; then " + ConfigFix.applyCommand(d, recreate: d.kind.isVirtual),
                devices: [d.name])
        })
    }

    static let managedTwice = Check(
        id: "config.managed_twice", family: .config, severity: .warn,
        title: "Two configuration systems configure the same device"
    ) { ctx in
        if let reason = noConfiguration(ctx) { return .skipped(reason) }
        var byName: [String: [IntendedDevice]] = [:]
        for d in ctx.intended.devices { byName[d.name, default: []].append(d) }
        return .ran(byName.keys.sorted().compactMap { name in
            let ds = byName[name]!
            let systems = Set(ds.map(\.system)).sorted()
            guard systems.count > 1 else { return nil }
            return Finding(
                check: "config.managed_twice", severity: .warn, subject: name,
                explanation: "\(name) is configured by \(systems.map(\.displayName).joined(separator: " and ")). Whichever starts last wins, and each may take the device down to apply its own settings: the result depends on the boot order.",
                evidence: ds.map { ctx.evidence.config($0.anchor) },
                fix: "keep one: " + systems.map { ConfigFix.disown(name, system: $0, devices: ds) }.joined(separator: ", or "),
                devices: [name])
        })
    }
}

/// What a name (a file's, a profile's) claims against what the content sets.
enum NameClaims {
    struct Mismatch {
        var label: Configured<String>
        /// What the name says: `VLAN 20`.
        var named: String
        /// What the content sets: `vlan.id=10`.
        var sets: String
        var setting: ConfigOrigin
        var expected: String
    }

    static func mismatches(_ d: IntendedDevice, ctx: CheckContext) -> [Mismatch] {
        let known = Set(ctx.topology.links.keys).union(ctx.intended.devices.map(\.name))
        var out: [Mismatch] = []
        for label in d.labels {
            if let hint = VLANName.parse(label.value), d.kind == .vlan {
                if let id = d.vlanID, id.value != hint.id {
                    out.append(Mismatch(label: label, named: "VLAN \(hint.id)", sets: "\(id.origin.key)=\(id.value)", setting: id.origin, expected: String(hint.id)))
                }
                if let parent = hint.parent, known.contains(parent), let set = d.vlanParent, set.value != parent, set.origin.line != nil {
                    out.append(Mismatch(label: label, named: "parent \(parent)", sets: "\(set.origin.key)=\(set.value)", setting: set.origin, expected: parent))
                }
                if label.value != d.name, hint.parent.map(known.contains) == true, VLANName.parse(d.name)?.parent != nil,
                   let decl = d.declaration, decl.line != nil {
                    out.append(Mismatch(label: label, named: "device \(label.value)", sets: "\(decl.key)=\(decl.value)", setting: decl, expected: label.value))
                }
            } else if label.value != d.name, known.contains(label.value), VLANName.parse(label.value) == nil, let decl = d.declaration, decl.line != nil, decl.value == d.name {
                out.append(Mismatch(label: label, named: "device \(label.value)", sets: "\(decl.key)=\(decl.value)", setting: decl, expected: label.value))
            }
            if !out.isEmpty { break }
        }
        return out
    }
}

/// Compares one intended device with the running topology.
enum ConfigDrift {
    enum Category: Sendable {
        case missing, bond, vlan, bridgePort, extraPort, bridgeVLAN, mtu
    }

    struct Difference {
        var category: Category
        var what: String
        var evidence: [Evidence]
        /// A property the system sets only when it creates the device (networkd never
        /// changes a running netdev's bond mode, VLAN id or parent): applying the files
        /// means deleting the device first.
        var recreate = false
    }

    static func isRunning(_ name: String, _ topology: Topology) -> Bool {
        topology.links[name] != nil || topology.bonds[name] != nil || topology.bridges[name] != nil || topology.vlans[name] != nil
    }

    static func differences(_ d: IntendedDevice, ctx: CheckContext) -> [Difference] {
        var out: [Difference] = []
        let topology = ctx.topology
        let cite = ctx.evidence.config
        let configuredMaster = ctx.intended.master(of: d.name, system: d.system)
        guard isRunning(d.name, topology) else {
            if (d.kind.isVirtual || configuredMaster != nil), d.onBoot {
                out.append(Difference(category: .missing, what: "configured \(ConfigFix.bootWord(d.system)) but not running",
                                      evidence: [ctx.evidence.model("link \(d.name)", "(absent)")]))
            }
            return out
        }
        if d.kind == .vlan, let vlan = topology.vlans[d.name] {
            if let id = d.vlanID, id.value != vlan.id {
                out.append(Difference(category: .vlan, what: "\(d.system == .ifcfg ? "VLAN_ID=" : "VLAN ")\(id.value) configured, VLAN \(vlan.id) running",
                                      evidence: [cite(id.origin), ctx.evidence.vlan(vlan)], recreate: true))
            }
            let parent = d.vlanParent?.value ?? VLANName.parse(d.name)?.parent
            if let parent, parent != vlan.parent {
                let cited = d.vlanParent.map { cite($0.origin) } ?? ctx.evidence.model("parent from name \(d.name)", parent)
                out.append(Difference(category: .vlan, what: "parent \(parent) configured, \(vlan.parent) running",
                                      evidence: [cited, ctx.evidence.vlan(vlan)], recreate: true))
            }
            if let proto = d.vlanProtocol, let running = vlan.proto, proto.value.lowercased() != running.lowercased() {
                out.append(Difference(category: .vlan, what: "protocol \(proto.value) configured, \(running) running",
                                      evidence: [cite(proto.origin), ctx.evidence.vlan(vlan)], recreate: true))
            }
        }
        if d.kind == .bond, let bond = topology.bonds[d.name] {
            out += bondDifferences(d, bond: bond, ctx: ctx)
        }
        if let master = configuredMaster, !isBond(master.value, d.system, ctx) {
            let actual = topology.bridge(containing: d.name)?.name
            if actual != master.value {
                let what = d.system == .ifcfg ? "BRIDGE=\(master.value) configured" : "port of \(master.value) configured"
                out.append(Difference(category: .bridgePort, what: "\(what), \(actual.map { "port of \($0)" } ?? "on no bridge") running",
                                      evidence: [cite(master.origin), ctx.evidence.link(d.name, .master, actual ?? "(none)")]))
            }
        }
        if d.kind == .bridge, let bridge = topology.bridges[d.name] {
            out += bridgeDifferences(d, bridge: bridge, ctx: ctx)
        }
        if let master = configuredMaster, let bridge = topology.bridges[master.value], let port = bridge.port(named: d.name),
           bridge.vlanAware || ctx.intended.device(named: master.value, system: d.system)?.vlanFiltering?.value == true {
            let owner = ctx.intended.device(named: master.value, system: d.system)
            if let expected = d.vlans ?? owner?.portDefaultVLANs, let running = port.vlans,
               let what = vlanDifference(expected.value, running) {
                out.append(Difference(category: .bridgeVLAN, what: "VLANs of port \(d.name): \(what)",
                                      evidence: [cite(expected.origin), ctx.evidence.bridgeVLANs(d.name, running)]))
            }
        }
        if let mtu = d.mtu, let link = topology.links[d.name], let running = link.mtu, running != mtu.value {
            out.append(Difference(category: .mtu, what: "MTU \(mtu.value) configured, \(running) running",
                                  evidence: [cite(mtu.origin), ctx.evidence.link(d.name, .mtu, String(running))]))
        }
        return out
    }

    static func isBond(_ name: String, _ system: ConfigSystem, _ ctx: CheckContext) -> Bool {
        ctx.topology.bonds[name] != nil || ctx.intended.device(named: name, system: system)?.kind == .bond
    }

    private static func bridgeDifferences(_ d: IntendedDevice, bridge: Bridge, ctx: CheckContext) -> [Difference] {
        var out: [Difference] = []
        if let filtering = d.vlanFiltering, let running = bridge.vlanFiltering, filtering.value != running {
            out.append(Difference(category: .bridgeVLAN, what: "VLAN filtering \(filtering.value ? "on" : "off") configured, \(running ? "on" : "off") running",
                                  evidence: [ctx.evidence.config(filtering.origin), ctx.evidence.vlanFiltering(bridge)], recreate: true))
        }
        if let own = d.vlans, let running = bridge.vlans, bridge.vlanAware, let what = vlanDifference(own.value, running) {
            out.append(Difference(category: .bridgeVLAN, what: "VLANs of \(d.name) itself: \(what)",
                                  evidence: [ctx.evidence.config(own.origin), ctx.evidence.bridgeVLANs(d.name, running)]))
        }
        // Running uplink ports that no configuration of this system puts in the bridge
        // (taps and veths are the VMs', added at run time).
        let members = ctx.intended.members(of: d.name, system: d.system)
        if d.system != .ifcfg || !members.isEmpty {
            let configured = Set(members.map(\.name))
            let extra = bridge.ports.map(\.name).filter { !configured.contains($0) && ctx.isUplink($0) }.sorted()
            if !extra.isEmpty {
                out.append(Difference(category: .extraPort,
                                      what: "\(extra.joined(separator: ", ")) \(extra.count == 1 ? "is a port" : "are ports") but not configured in \(d.name)",
                                      evidence: members.map { ctx.evidence.config($0.origin) }.prefix(1) + [ctx.evidence.bridgePorts(bridge)]))
            }
        }
        return out
    }

    /// How a running VLAN set differs from the configured one; `nil` when it does not.
    /// A PVID the configuration does not give is not compared (the bridge's default).
    static func vlanDifference(_ configured: BridgeVLANSet, _ running: BridgeVLANSet) -> String? {
        var parts: [String] = []
        func ids(_ s: BridgeVLANSet) -> Set<Int> { Set(s.ranges.flatMap { Array($0.first...$0.last) }) }
        var want = ids(configured)
        var have = ids(running)
        if configured.pvid == nil, let p = running.pvid { have.remove(p); want.remove(p) }
        let missing = want.subtracting(have)
        let extra = have.subtracting(want)
        if !missing.isEmpty { parts.append("VLAN \(EvidenceBuilder.vlanRows(BridgeVLANSet(ranges: missing.map { .init(vid: $0) }))) configured but not a member") }
        if !extra.isEmpty { parts.append("VLAN \(EvidenceBuilder.vlanRows(BridgeVLANSet(ranges: extra.map { .init(vid: $0) }))) a member but not configured") }
        if let p = configured.pvid, running.pvid != p { parts.append("PVID \(p) configured, \(running.pvid.map(String.init) ?? "none") running") }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    private static func bondDifferences(_ d: IntendedDevice, bond: Bond, ctx: CheckContext) -> [Difference] {
        var out: [Difference] = []
        if let text = d.bondMode {
            let mode = Int(text.value).map { BondMode(kernelValue: UInt8(clamping: $0)) } ?? BondMode(rawValue: text.value) ?? .unknown
            if mode != bond.mode {
                out.append(Difference(category: .bond, what: "mode \(text.value) configured, \(bond.mode.rawValue) running",
                                      evidence: [ctx.evidence.config(text.origin), ctx.evidence.bond(bond.name, "Bonding Mode", bond.mode.rawValue)], recreate: true))
            }
        }
        if let miimon = d.bondMiimon, miimon.value != bond.miimonMs {
            out.append(Difference(category: .bond, what: "miimon=\(miimon.value) configured, \(bond.miimonMs) running",
                                  evidence: [ctx.evidence.config(miimon.origin),
                                             ctx.evidence.bond(bond.name, "MII Polling Interval (ms)", String(bond.miimonMs))], recreate: true))
        }
        let members = ctx.intended.members(of: bond.name, system: d.system)
        let configured = Set(members.map(\.name))
        let actual = Set(bond.slaves.map(\.name))
        if !members.isEmpty, configured != actual {
            let missing = configured.subtracting(actual).sorted()
            let extra = actual.subtracting(configured).sorted()
            var parts: [String] = []
            if !missing.isEmpty { parts.append("\(missing.joined(separator: ", ")) configured as slave but not enslaved") }
            if !extra.isEmpty { parts.append("\(extra.joined(separator: ", ")) enslaved but not configured") }
            var cited: [Evidence] = []
            for m in members where !cited.contains(ctx.evidence.config(m.origin)) { cited.append(ctx.evidence.config(m.origin)) }
            out.append(Difference(category: .bond, what: parts.joined(separator: ", "),
                                  evidence: cited + [ctx.evidence.model("slaves of \(bond.name)", actual.sorted().joined(separator: " "))]))
        }
        return out
    }
}

/// Fixes in each configuration system's own terms.
enum ConfigFix {
    /// How the system says "at boot".
    static func bootWord(_ system: ConfigSystem) -> String {
        switch system {
        case .ifcfg: return "with ONBOOT=yes"
        case .ifupdown: return "with auto"
        case .networkManager: return "with autoconnect"
        case .networkd: return "in systemd-networkd's files (applied at boot)"
        case .netplan: return "to be created at boot"
        }
    }

    /// Makes the running state what the configuration says (when the files are right),
    /// or points at the file (when the running state is right).
    static func apply(_ d: IntendedDevice, _ diffs: [ConfigDrift.Difference], ctx: CheckContext) -> String {
        let recreate = d.kind.isVirtual && diffs.contains { $0.recreate }
        var command = applyCommand(d, recreate: recreate, missing: diffs.contains { $0.category == .missing })
        let reload: String
        switch d.system {
        case .networkd:
            reload = "networkctl reload"
            if recreate {
                command += " (networkd sets a netdev's mode, id and parent only when it creates it: networkctl reload leaves a running one as it is; deleting it takes down what runs on it)"
            }
        case .netplan: reload = "netplan apply"
        default: return "if the configuration is right: \(command); if the running state is right, update \(d.file)"
        }
        // networkd's values are spread over a .netdev, the .network and drop-ins, netplan's
        // over the YAML files it merges: name the files the differing values are written in.
        var files: [String] = []
        for e in diffs.flatMap(\.evidence) where e.source == d.system.rawValue {
            if let f = e.file, !files.contains(f) { files.append(f) }
        }
        return "if the configuration is right: \(command); if the running state is right, update \(files.isEmpty ? d.file : files.joined(separator: " or ")) and \(reload)"
    }

    /// The system's command that brings the running state to the configuration:
    /// `recreate` when what differs is set only at creation, `missing` when the device
    /// does not run.
    static func applyCommand(_ d: IntendedDevice, recreate: Bool = false, missing: Bool = false) -> String {
        let name = q(d.name)
        switch d.system {
        case .ifcfg: return "ifdown \(name); ifup \(name) (nmcli connection up \(name))"
        case .ifupdown: return "ifreload -a (ifupdown2; with ifupdown: ifdown \(name) && ifup \(name))"
        case .networkManager: return "nmcli connection up \(q(d.profile ?? d.name))"
        case .networkd:
            if missing {
                return d.kind.isVirtual ? "networkctl reload (creates the netdevs that do not run)"
                    : "networkctl reload once \(name) exists (a .network creates no device: check the NIC and its name with ip link)"
            }
            if recreate { return "ip link delete \(name) && networkctl reload" }
            return "networkctl reload && networkctl reconfigure \(name)"
        case .netplan:
            // netplan apply regenerates the backend's files and reloads it; it deletes only
            // the virtual devices no longer defined, so a running netdev keeps its mode, id
            // and parent (networkd sets those at creation only).
            if missing {
                return d.kind.isVirtual ? "netplan apply (creates the virtual devices that do not run; netplan try reverts by itself unless confirmed)"
                    : "netplan apply once \(name) exists (netplan creates no NIC: check the NIC and its name with ip link)"
            }
            if recreate { return "ip link delete \(name) && netplan apply (netplan apply leaves a running \(d.kind.rawValue)'s mode, id and parent as they are)" }
            return "netplan try (reverts by itself unless confirmed), then netplan apply"
        }
    }

    /// Changes one configured value to `value`.
    static func edit(_ d: IntendedDevice, _ setting: ConfigOrigin, to value: String) -> String {
        switch d.system {
        case .networkManager:
            let key = setting.key == "connection.interface-name" ? "connection.interface-name" : setting.key
            return "nmcli connection modify \(q(d.profile ?? d.name)) \(key) \(q(value))"
        case .ifupdown:
            return "in \(setting.file)\(setting.line.map { " line \($0)" } ?? ""), make '\(setting.key) \(setting.value)' say \(value)"
        case .networkd:
            // `[VLAN] Id`: the section and the key.
            let parts = setting.key.split(separator: " ", maxSplits: 1)
            let key = parts.count == 2 ? "\(parts[1])=\(value) in \(parts[0])" : "\(setting.key)=\(value)"
            return "in \(setting.file)\(setting.line.map { " line \($0)" } ?? ""), set \(key)"
        case .netplan:
            // `vlans.vlan20.id`: the YAML key path, and the value at that line.
            return "in \(setting.file)\(setting.line.map { " line \($0)" } ?? ""), set \(setting.key): \(value) (now \(setting.value))"
        default:
            return "in \(setting.file)\(setting.line.map { " line \($0)" } ?? ""), set \(setting.key)=\(value)"
        }
    }

    /// Makes a hand-made device permanent, in the terms of the system in use.
    static func create(_ name: String, kind: String, ctx: CheckContext) -> String {
        let systems = Set(ctx.intended.systems.map(\.system))
        let n = q(name)
        var ways: [String] = []
        if systems.contains(.ifupdown) { ways.append("add 'auto \(name)' and an 'iface \(name) inet manual' stanza to /etc/network/interfaces, then ifreload -a") }
        if systems.contains(.networkManager) {
            let type = kind == "bridge" ? "bridge" : kind == "bond" ? "bond" : "vlan"
            ways.append("nmcli connection add type \(type) ifname \(n) con-name \(n)\(type == "vlan" ? " vlan.id ID vlan.parent PARENT" : "")")
        }
        if systems.contains(.networkd) {
            let netdevKind = kind == "bridge" ? "bridge" : kind == "bond" ? "bond" : "vlan"
            let extra = netdevKind == "vlan" ? ", [VLAN] Id=ID, and VLAN=\(name) in the parent's .network" : ""
            ways.append("create /etc/systemd/network/\(name).netdev with [NetDev] Name=\(name) Kind=\(netdevKind)\(extra), then networkctl reload")
        }
        if systems.contains(.netplan) {
            let section = kind == "bridge" ? "bridges" : kind == "bond" ? "bonds" : "vlans"
            let extra = section == "vlans" ? " with id: ID and link: PARENT" : section == "bonds" ? " with interfaces: [...] and parameters: {mode: ...}" : " with interfaces: [...]"
            ways.append("define it under network: \(section): \(name):\(extra) in a file of /etc/netplan, then netplan try / netplan apply")
        }
        if systems.contains(.ifcfg) {
            let type = kind == "bridge" ? "TYPE=Bridge" : kind == "bond" ? "TYPE=Bond BONDING_MASTER=yes" : "VLAN=yes"
            ways.append("create \(HostFiles.join(ctx.facts.ifcfgDirectory ?? HostPaths.defaultIfcfgDirectory, "ifcfg-\(name)")) with DEVICE=\(name) \(type) ONBOOT=yes")
        }
        if ways.isEmpty { ways.append("configure \(name) in the host's network configuration") }
        return ways.joined(separator: "; or ") + "; or, if it is not needed: ip link del \(n)"
    }

    /// Removes a device from one system's hands.
    static func disown(_ name: String, system: ConfigSystem, devices: [IntendedDevice]) -> String {
        let d = devices.first { $0.system == system }
        switch system {
        case .networkManager: return "NetworkManager (nmcli connection delete \(q(d?.profile ?? name)), or nmcli device set \(q(name)) managed no)"
        case .ifupdown: return "ifupdown (remove the iface \(name) stanza from \(d?.file ?? HostPaths.defaultIfupdownInterfaces))"
        case .networkd:
            let what = d.map { $0.kind.isVirtual ? "remove \($0.file)" : "take \(name) out of [Match] Name= in \($0.file)" } ?? "remove its files"
            return "systemd-networkd (\(what), or match it in a .network with [Link] Unmanaged=yes; then networkctl reload)"
        case .netplan:
            let what = d.map { "remove \(($0.labels.first?.origin.value) ?? name) from \($0.file)\($0.declaration?.line.map { " (line \($0))" } ?? "")" } ?? "remove it from /etc/netplan"
            return "netplan (\(what); then netplan apply)"
        default: return "\(system.displayName) (remove \(d?.file ?? name))"
        }
    }
}
