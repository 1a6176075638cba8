import KVMNetModel

/// interfaces(5) stanzas as the shared model of intended state. Stanzas of one name
/// (`inet` and `inet6`, or in two files) make one device; the first one is its file.
public enum InterfacesIntended {
    public static func devices(_ files: [InterfacesFile]) -> [IntendedDevice] {
        var auto: Set<String> = []
        for file in files { for a in file.auto { auto.insert(a.name) } }
        var order: [String] = []
        var stanzas: [String: [(InterfacesFile, InterfacesStanza)]] = [:]
        for file in files {
            for s in file.stanzas where s.method != "loopback" {
                if stanzas[s.name] == nil { order.append(s.name) }
                stanzas[s.name, default: []].append((file, s))
            }
        }
        return order.compactMap { name in stanzas[name].map { device(name: name, $0, auto: auto.contains(name)) } }
    }

    private static func device(name: String, _ parts: [(InterfacesFile, InterfacesStanza)], auto: Bool) -> IntendedDevice {
        let first = parts[0]
        var options: [String: (InterfacesFile, InterfacesOption)] = [:]
        var addresses: [(InterfacesFile, InterfacesOption)] = []
        for (file, stanza) in parts {
            for o in stanza.options {
                options[o.key] = (file, o)
                if o.key == "address" { addresses.append((file, o)) }
            }
        }
        func origin(_ pair: (InterfacesFile, InterfacesOption)) -> ConfigOrigin {
            ConfigOrigin(system: .ifupdown, file: pair.0.path, line: pair.1.line, key: pair.1.key, value: pair.1.value)
        }
        func words(_ key: String) -> Configured<[String]>? {
            guard let o = options[key] else { return nil }
            let list = o.1.value.split(separator: " ").map(String.init)
            return Configured(list == ["none"] ? [] : list, origin(o))
        }
        let declaration = ConfigOrigin(system: .ifupdown, file: first.0.path, line: first.1.line, key: "iface",
                                       value: [first.1.name, first.1.family, first.1.method].compactMap { $0 }.joined(separator: " "))
        let dotted = VLANName.parse(name)
        let isBond = options["bond-slaves"] != nil || options["bond-mode"] != nil || options["bond-miimon"] != nil
        let isBridge = options["bridge-ports"] != nil
        let isVLAN = options["vlan-raw-device"] != nil || options["vlan-id"] != nil || (dotted?.parent != nil && !isBond && !isBridge)
        let kind: IntendedKind = isBond ? .bond : isBridge ? .bridge : isVLAN ? .vlan : .ethernet
        var d = IntendedDevice(name: name, kind: kind, system: .ifupdown, file: first.0.path, onBoot: auto)
        d.declaration = declaration
        d.labels = [Configured(name, declaration)]
        if let o = options["bond-mode"] { d.bondMode = Configured(o.1.value, origin(o)) }
        if let o = options["bond-miimon"], let v = Int(o.1.value) { d.bondMiimon = Configured(v, origin(o)) }
        d.bondSlaves = words("bond-slaves")
        if let o = options["bond-master"] { d.master = Configured(o.1.value, origin(o)) }
        d.bridgePorts = words("bridge-ports")
        if isVLAN {
            if let o = options["vlan-id"], let id = Int(o.1.value) {
                d.vlanID = Configured(id, origin(o))
            } else if let dotted {
                d.vlanID = Configured(dotted.id, declaration)
            }
            if let o = options["vlan-raw-device"] {
                d.vlanParent = Configured(o.1.value, origin(o))
            } else if let parent = dotted?.parent {
                d.vlanParent = Configured(parent, declaration)
            }
        }
        if let o = options["bridge-vlan-aware"] { d.vlanFiltering = Configured(["yes", "on", "1", "true"].contains(o.1.value.lowercased()), origin(o)) }
        let vids = options["bridge-vids"]
        let pvid = options["bridge-pvid"]
        if vids != nil || pvid != nil {
            let set = VIDList.set(tagged: vids?.1.value ?? "", pvid: pvid.flatMap { Int($0.1.value) })
            let cited = [vids, pvid].compactMap { $0 }.map(origin)
            let merged = ConfigOrigin(system: .ifupdown, file: cited[0].file, line: cited[0].line,
                                      key: cited.map(\.key).joined(separator: " / "), value: cited.map(\.value).joined(separator: " / "))
            if isBridge { d.portDefaultVLANs = Configured(set, merged) } else { d.vlans = Configured(set, merged) }
        }
        if let o = options["mtu"], let mtu = Int(o.1.value) { d.mtu = Configured(mtu, origin(o)) }
        if let last = addresses.last {
            let list = addresses.flatMap { $0.1.value.split(separator: " ").map(String.init) }
            d.addresses = Configured(list, origin(last))
        }
        return d
    }
}

/// VLAN names that say their id: `bond0.10` (parent and id), `vlan10` (id only).
public enum VLANName {
    public static func parse(_ name: String) -> (parent: String?, id: Int)? {
        if let dot = name.lastIndex(of: "."), dot > name.startIndex, let id = Int(name[name.index(after: dot)...]), (1...4094).contains(id) {
            return (String(name[..<dot]), id)
        }
        if name.hasPrefix("vlan"), let id = Int(name.dropFirst(4)), (1...4094).contains(id) { return (nil, id) }
        return nil
    }
}

/// VLAN id lists as the configuration formats write them.
public enum VIDList {
    /// `10 20 30-40` (spaces or commas), all tagged, with `pvid` added untagged.
    public static func set(tagged text: String, pvid: Int?) -> BridgeVLANSet {
        var ranges = ranges(text)
        if let pvid { ranges.append(BridgeVLANSet.Range(vid: pvid, untagged: true)) }
        return BridgeVLANSet(ranges: ranges, pvid: pvid)
    }

    /// The ranges of `10 20-30` or `10,20-30`; words that are no id or range are left out.
    public static func ranges(_ text: String) -> [BridgeVLANSet.Range] {
        text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" }).compactMap { range(Substring($0)) }
    }

    /// `20` or `20-30`, ids in 1...4094.
    public static func range(_ word: Substring, untagged: Bool = false) -> BridgeVLANSet.Range? {
        let parts = word.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2 else { return nil }
        guard let a = Int(parts[0]), let b = Int(parts.last!), (1...4094).contains(a), (1...4094).contains(b) else { return nil }
        return BridgeVLANSet.Range(first: a, last: b, untagged: untagged)
    }
}
