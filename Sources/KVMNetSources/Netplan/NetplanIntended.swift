import KVMNetModel

/// netplan's YAML (netplan(5), netplan.io 0.106 as Debian 12 ships it) as the shared model
/// of intended state. The files are merged first, as `netplan generate` does (in the
/// lexical order of their names, whatever their directory: ``NetplanMerge``), then read:
///
/// - `network: version: 2` (another version is a problem), `renderer:` (`networkd`,
///   `NetworkManager`, `sriov`: checked, not modelled);
/// - `ethernets`: devices netplan does not create; `mtu`, `addresses`, `dhcp4`. An id is the
///   kernel name unless `match:` is given: then `set-name:` names the device, or a literal
///   `match: name:`; matched by MAC address, driver or a glob without `set-name`, the
///   kernel name is not known and is not guessed: a problem, and the device is left out;
/// - `bonds`: `interfaces` (netplan ids, resolved to kernel names), `parameters: mode,
///   mii-monitor-interval` (milliseconds unless a unit is given);
/// - `bridges`: `interfaces`, `parameters: stp` (checked, not modelled);
/// - `vlans`: `id` (0-4094), `link` (a netplan id).
///
/// netplan has no bridge VLAN filtering or port VLANs in 0.106: those stay unconfigured
/// (`nil`), never "off". Every value is cited at its own file and line with its key as
/// netplan writes it (`bonds.bond0.parameters.mode`); wrong types and out-of-range values
/// are problems at their line (as `netplan generate` reports them), and the rest is read.
public enum NetplanIntended {
    /// The ``Source`` netplan's errors are counted under (its own: `source="netplan"`).
    public static let errorSource: Source = .netplan

    /// The device types kvmnet models, in the order netplan documents them.
    static let kinds: [(key: String, kind: IntendedKind)] = [("ethernets", .ethernet), ("bonds", .bond), ("bridges", .bridge), ("vlans", .vlan)]

    /// The renderers netplan 0.106 accepts.
    static let renderers: Set<String> = ["networkd", "NetworkManager", "sriov"]

    /// The bond modes netplan accepts (its `parameters: mode:`).
    static let bondModes: Set<String> = ["balance-rr", "active-backup", "balance-xor", "broadcast", "802.3ad", "balance-tlb", "balance-alb"]

    /// The files merged into one `network:` node, in netplan's order (by file name), with
    /// the problems of files whose top level is not what netplan reads.
    public static func merged(_ files: [NetplanFile]) -> (network: NetplanNode?, problems: [SourceError]) {
        var problems: [SourceError] = []
        var network: NetplanNode?
        for f in files.sorted(by: { FileReader.basename($0.path) < FileReader.basename($1.path) }) {
            guard let root = f.root else { continue }
            guard let top = root.entries else {
                problems.append(error(f.path, root.line, "the top level is \(root.kindName), not a mapping with network:"))
                continue
            }
            for e in top where e.key != "network" {
                problems.append(error(f.path, e.line, "unknown key '\(e.key)' at the top level (netplan reads network: only)"))
            }
            guard let n = root["network"] else { continue }
            guard n.entries != nil else {
                problems.append(error(f.path, n.line, "network: is \(n.kindName), not a mapping"))
                continue
            }
            network = network.map { NetplanMerge.merge($0, n) } ?? n
        }
        return (network, problems)
    }

    /// The devices of the merged files, and what could not be understood (a typed error
    /// each, with its file and line).
    public static func read(_ files: [NetplanFile]) -> (devices: [IntendedDevice], problems: [SourceError]) {
        let merge = merged(files)
        var problems = merge.problems
        let network = merge.network
        guard let network else { return ([], problems) }
        func problem(_ node: NetplanNode, _ message: String) { problems.append(error(node.file, node.line, message)) }
        func problem(_ entry: NetplanEntry, _ message: String) { problems.append(error(entry.file, entry.line, message)) }

        if let v = network["version"], v.scalar != "2" { problem(v, "version: \(v.scalar ?? v.kindName): netplan reads version 2 only") }
        if let r = network["renderer"], !(r.scalar.map(renderers.contains) ?? false) {
            problem(r, "renderer: \(r.scalar ?? r.kindName): not networkd, NetworkManager or sriov")
        }

        // Every definition, by type; an id defined under two types is netplan's error too.
        var definitions: [(type: String, kind: IntendedKind, entry: NetplanEntry)] = []
        var typeOf: [String: String] = [:]
        for (type, kind) in kinds {
            guard let node = network[type] else { continue }
            guard let entries = node.entries else { problem(node, "\(type): is \(node.kindName), not a mapping of ids"); continue }
            for e in entries {
                guard e.value.entries != nil else { problem(e, "\(type).\(e.key): is \(e.value.kindName), not a mapping"); continue }
                if let other = typeOf[e.key] {
                    problem(e, "\(type).\(e.key): \(e.key) is already defined in \(other) (netplan refuses a definition that changes type)")
                    continue
                }
                typeOf[e.key] = type
                definitions.append((type, kind, e))
            }
        }
        // Every other device type's ids count for references (a VLAN on a wifi).
        for type in NetplanFile.deviceTypes where typeOf[type] == nil {
            for e in network[type]?.entries ?? [] where typeOf[e.key] == nil { typeOf[e.key] = type }
        }

        // Kernel names: the id, or set-name / a literal match: name: for ethernets.
        var kernelName: [String: String?] = [:]
        var declarations: [String: ConfigOrigin] = [:]
        for (type, _, e) in definitions {
            let key = "\(type).\(e.key)"
            var name: String? = e.key
            var declaration = ConfigOrigin(system: .netplan, file: e.file, line: e.line, key: key, value: e.key)
            if type == "ethernets" {
                let match = e.value["match"]
                let setName = e.value["set-name"]
                if let setName {
                    if let s = setName.scalar, !s.isEmpty {
                        name = s
                        declaration = ConfigOrigin(system: .netplan, file: setName.file, line: setName.line, key: "\(key).set-name", value: s)
                        if match == nil { problem(setName, "\(key).set-name without match: (netplan ignores it)"); name = e.key }
                    } else {
                        problem(setName, "\(key).set-name: is \(setName.kindName), not a name")
                    }
                } else if let match {
                    if let entries = match.entries {
                        let literal = match["name"]?.scalar.flatMap { NetworkdIntended.isPattern($0) || $0.isEmpty ? nil : $0 }
                        if let literal {
                            name = literal
                            if let n = match["name"] { declaration = ConfigOrigin(system: .netplan, file: n.file, line: n.line, key: "\(key).match.name", value: literal) }
                        } else {
                            name = nil
                            let by = entries.map(\.key).joined(separator: ", ")
                            problem(match, "\(key) is matched by \(by.isEmpty ? "nothing" : by) without set-name: its kernel name is not known (not guessed); left out")
                        }
                    } else {
                        problem(match, "\(key).match: is \(match.kindName), not a mapping")
                    }
                }
            }
            kernelName[e.key] = name
            declarations[e.key] = declaration
        }

        /// A netplan id as the kernel names it; `nil` (with a problem) when it is not
        /// defined or its kernel name is not known.
        func resolve(_ ref: NetplanNode, of key: String) -> String? {
            guard let id = ref.scalar, !id.isEmpty else { problem(ref, "\(key): \(ref.kindName) is not a netplan id"); return nil }
            guard let known = kernelName[id] else {
                if typeOf[id] == nil { problem(ref, "\(key): interface '\(id)' is not defined") }
                return nil
            }
            guard let name = known else { problem(ref, "\(key): the kernel name of '\(id)' is not known"); return nil }
            return name
        }
        func origin(_ node: NetplanNode, _ key: String, _ value: String? = nil) -> ConfigOrigin {
            ConfigOrigin(system: .netplan, file: node.file, line: node.line, key: key, value: value ?? node.scalar ?? "")
        }
        /// A list of netplan ids (`interfaces`), as kernel names; `nil` when any cannot be
        /// named (a partial list would claim the others are not members).
        func members(_ node: NetplanNode, _ key: String) -> Configured<[String]>? {
            guard case .sequence(let items) = node.value else { problem(node, "\(key): is \(node.kindName), expected a sequence"); return nil }
            var names: [String] = []
            var complete = true
            for item in items {
                if let n = resolve(item, of: key) { names.append(n) } else { complete = false }
            }
            guard complete else { return nil }
            let cited = items.last ?? node
            return Configured(names, origin(cited, key, items.compactMap(\.scalar).joined(separator: " ")))
        }
        func integer(_ node: NetplanNode, _ key: String, _ range: ClosedRange<Int>, _ what: String) -> Int? {
            guard let s = node.scalar, let n = Int(s) else { problem(node, "\(key): \(node.scalar ?? node.kindName): not \(what)"); return nil }
            guard range.contains(n) else { problem(node, "\(key): \(n): not \(what) (allowed values are \(range.lowerBound) to \(range.upperBound))"); return nil }
            return n
        }
        func checkBoolean(_ node: NetplanNode?, _ key: String) {
            guard let node else { return }
            if node.scalar.flatMap(boolean) == nil { problem(node, "\(key): \(node.scalar ?? node.kindName): not a boolean") }
        }

        var devices: [IntendedDevice] = []
        var seen: Set<String> = []
        for (type, kind, e) in definitions {
            guard let nameOrNil = kernelName[e.key], let name = nameOrNil else { continue }
            let key = "\(type).\(e.key)"
            guard seen.insert(name).inserted else {
                problem(e, "\(key): \(name) is already configured by another netplan id: left out")
                continue
            }
            let v = e.value
            let activation = v["activation-mode"]?.scalar
            var d = IntendedDevice(name: name, kind: kind, system: .netplan, file: e.file, onBoot: !["manual", "off"].contains(activation ?? ""))
            d.declaration = declarations[e.key]
            d.labels = [Configured(e.key, ConfigOrigin(system: .netplan, file: e.file, line: e.line, key: "netplan id", value: key))]
            if let m = v["mtu"] {
                if let mtu = integer(m, "\(key).mtu", 1...Int(UInt32.max), "an MTU") { d.mtu = Configured(mtu, origin(m, "\(key).mtu")) }
            }
            if let a = v["addresses"] {
                if case .sequence(let items) = a.value {
                    var list: [String] = []
                    for item in items {
                        if let s = item.scalar, !s.isEmpty {
                            list.append(s)
                        } else if let entries = item.entries, entries.count == 1 {
                            // `- 10.0.0.1/24: {label: ..., lifetime: ...}`
                            list.append(entries[0].key)
                        } else {
                            problem(item, "\(key).addresses: \(item.kindName) is not an address")
                        }
                    }
                    if let last = items.last, !list.isEmpty {
                        d.addresses = Configured(list, origin(last, "\(key).addresses", list.joined(separator: " ")))
                    }
                } else {
                    problem(a, "\(key).addresses: is \(a.kindName), expected a sequence")
                }
            }
            checkBoolean(v["dhcp4"], "\(key).dhcp4")
            checkBoolean(v["dhcp6"], "\(key).dhcp6")
            switch kind {
            case .bond:
                if let i = v["interfaces"] { d.bondSlaves = members(i, "\(key).interfaces") }
                if let p = v["parameters"] {
                    if p.entries == nil { problem(p, "\(key).parameters: is \(p.kindName), not a mapping") }
                    if let m = p["mode"] {
                        if let mode = m.scalar, bondModes.contains(mode) {
                            d.bondMode = Configured(mode, origin(m, "\(key).parameters.mode"))
                        } else {
                            problem(m, "\(key).parameters.mode: \(m.scalar ?? m.kindName): not a bond mode")
                        }
                    }
                    if let m = p["mii-monitor-interval"] {
                        if let ms = m.scalar.flatMap(milliseconds) {
                            d.bondMiimon = Configured(ms, origin(m, "\(key).parameters.mii-monitor-interval"))
                        } else {
                            problem(m, "\(key).parameters.mii-monitor-interval: \(m.scalar ?? m.kindName): not a time span")
                        }
                    }
                }
            case .bridge:
                if let i = v["interfaces"] { d.bridgePorts = members(i, "\(key).interfaces") }
                if let p = v["parameters"] {
                    if p.entries == nil { problem(p, "\(key).parameters: is \(p.kindName), not a mapping") }
                    checkBoolean(p["stp"], "\(key).parameters.stp")
                }
            case .vlan:
                if let i = v["id"] {
                    if let id = integer(i, "\(key).id", 0...4094, "a VLAN id") { d.vlanID = Configured(id, origin(i, "\(key).id")) }
                } else {
                    problem(e, "\(key): missing 'id' property")
                }
                if let l = v["link"] {
                    if let parent = resolve(l, of: "\(key).link") { d.vlanParent = Configured(parent, origin(l, "\(key).link", l.scalar)) }
                } else {
                    problem(e, "\(key): missing 'link' property")
                }
            case .ethernet:
                break
            }
            devices.append(d)
        }
        return (devices, problems)
    }

    /// The devices only (``read(_:)`` without its problems).
    public static func devices(_ files: [NetplanFile]) -> [IntendedDevice] { read(files).devices }

    /// YAML 1.1's booleans, as netplan takes them.
    public static func boolean(_ value: String) -> Bool? {
        switch value.lowercased() {
        case "true", "yes", "y", "on": return true
        case "false", "no", "n", "off": return false
        default: return nil
        }
    }

    /// `mii-monitor-interval`: milliseconds when no unit is given (netplan(5)), else a
    /// systemd time span (`1s`, `100ms`), which is what netplan writes for networkd.
    public static func milliseconds(_ value: String) -> Int? {
        if let n = Int(value) { return n >= 0 ? n : nil }
        return NetworkdIntended.milliseconds(value)
    }

    /// The files netplan reads: `*.yaml`, not hidden.
    public static func isNetplanFileName(_ name: String) -> Bool {
        name.hasSuffix(".yaml") && !name.hasPrefix(".") && name.count > ".yaml".count
    }

    /// Whether a networkd file or NetworkManager keyfile is netplan's own output (`netplan
    /// generate` writes `/run/systemd/network/10-netplan-<id>.*` and
    /// `/run/NetworkManager/system-connections/netplan-<id>*.nmconnection`): the same
    /// configuration, read at its source.
    public static func isGeneratedOutput(_ path: String) -> Bool {
        let base = FileReader.basename(path)
        return (base.hasPrefix("10-netplan-") && path.contains("/run/systemd/network/"))
            || (base.hasPrefix("netplan-") && path.contains("/run/NetworkManager/system-connections/"))
    }

    static func error(_ path: String, _ line: Int, _ message: String) -> SourceError {
        SourceError(source: errorSource, path: path, message: ConfigProblem(line: line, message: message).description)
    }
}
