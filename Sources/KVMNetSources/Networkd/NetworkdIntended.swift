import KVMNetModel

/// One systemd-networkd configuration file (`.netdev` or `.network`) with its drop-ins
/// (`<name>.d/*.conf`, in the order networkd applies them). Each section keeps the file it
/// was written in, so every value is cited at its own file and line.
public struct NetworkdFile: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable { case netdev, network }

    public var kind: Kind
    /// The main file.
    public var main: INIFile
    /// The drop-ins, in order: a later assignment of a single-valued key wins.
    public var dropIns: [INIFile]

    public init(kind: Kind, main: INIFile, dropIns: [INIFile] = []) {
        self.kind = kind
        self.main = main
        self.dropIns = dropIns
    }

    public var path: String { main.path }

    /// Every section called `name`, the main file's first, with the file it is in.
    public func sections(_ name: String) -> [(path: String, section: INISection)] {
        ([main] + dropIns).flatMap { f in f.sections(name).map { (f.path, $0) } }
    }

    /// The last assignment of `key` in any section called `section`.
    public func entry(_ section: String, _ key: String) -> (path: String, entry: INIEntry)? {
        sections(section).compactMap { s in s.section.entry(key).map { (s.path, $0) } }.last
    }

    /// Every assignment of `key` in the sections called `section`, in order, after the
    /// last empty one (systemd's "an empty assignment clears the list").
    public func list(_ section: String, _ key: String) -> [(path: String, entry: INIEntry)] {
        var out: [(String, INIEntry)] = []
        for s in sections(section) {
            for e in s.section.all(key) {
                if e.value.isEmpty { out.removeAll() } else { out.append((s.path, e)) }
            }
        }
        return out
    }
}

/// systemd-networkd's `.netdev` and `.network` files (systemd.netdev(5),
/// systemd.network(5)) as the shared model of intended state. A `.netdev` creates a bond,
/// VLAN or bridge (`[NetDev] Name= Kind=`); a `.network` configures the links its
/// `[Match] Name=` names: master (`Bond=`, `Bridge=`), the VLANs on top of it (`VLAN=`,
/// which is where a VLAN's parent is written), MTU, addresses and bridge VLANs. A device
/// made by a `.netdev` and configured by a `.network` is one device.
///
/// `[Match]` is read for literal interface names only: globs (`en*`), negations (`!eth0`)
/// and the other match keys (`MACAddress=`, `Type=`, `Driver=`...) are not matched
/// against the running links, so a `.network` that names no literal interface is left
/// out, and so is one with a condition on the host (`Virtualization=`, `Host=`,
/// `KernelCommandLine=`...). As in networkd, the first `.network` (by file name) that names a link is the one
/// that applies to it, and the first `.netdev` of a name creates it.
public enum NetworkdIntended {
    /// The `.netdev` kinds kvmnet models; others (veth, vxlan, wireguard, dummy) are left out.
    static let kinds: [String: IntendedKind] = ["bond": .bond, "vlan": .vlan, "bridge": .bridge]

    /// The devices, and the values that could not be understood (a typed error each, with
    /// its file and line; the rest of the file is still read).
    public static func read(_ files: [NetworkdFile]) -> (devices: [IntendedDevice], problems: [SourceError]) {
        var problems: [SourceError] = []
        func problem(_ path: String, _ line: Int, _ message: String) {
            problems.append(SourceError(source: .networkd, path: path, message: ConfigProblem(line: line, message: message).description))
        }
        func origin(_ path: String, _ section: String, _ e: INIEntry) -> ConfigOrigin {
            ConfigOrigin(system: .networkd, file: path, line: e.line, key: "[\(section)] \(e.key)", value: e.value)
        }
        let ordered = files.sorted { FileReader.basename($0.path) < FileReader.basename($1.path) }
        var order: [String] = []
        var devices: [String: IntendedDevice] = [:]

        for f in ordered where f.kind == .netdev {
            guard let nameEntry = f.entry("NetDev", "Name") else {
                if let kind = f.entry("NetDev", "Kind") { problem(kind.path, kind.entry.line, "[NetDev] without Name=") }
                continue
            }
            guard let kindEntry = f.entry("NetDev", "Kind") else {
                problem(nameEntry.path, nameEntry.entry.line, "[NetDev] Name=\(nameEntry.entry.value) without Kind=")
                continue
            }
            guard let kind = kinds[kindEntry.entry.value] else { continue }
            let name = nameEntry.entry.value
            guard devices[name] == nil else { continue }
            var d = IntendedDevice(name: name, kind: kind, system: .networkd, file: f.path)
            let declaration = origin(nameEntry.path, "NetDev", nameEntry.entry)
            d.declaration = declaration
            d.labels = label(f.path)
            if let (path, e) = f.entry("NetDev", "MTUBytes") {
                if let mtu = bytes(e.value) { d.mtu = Configured(mtu, origin(path, "NetDev", e)) } else { problem(path, e.line, "MTUBytes=\(e.value): not a size") }
            }
            switch kind {
            case .bond:
                if let (path, e) = f.entry("Bond", "Mode") { d.bondMode = Configured(e.value, origin(path, "Bond", e)) }
                if let (path, e) = f.entry("Bond", "MIIMonitorSec") {
                    if let ms = milliseconds(e.value) { d.bondMiimon = Configured(ms, origin(path, "Bond", e)) } else { problem(path, e.line, "MIIMonitorSec=\(e.value): not a time span") }
                }
            case .vlan:
                if let (path, e) = f.entry("VLAN", "Id") {
                    if let id = Int(e.value), (0...4094).contains(id) { d.vlanID = Configured(id, origin(path, "VLAN", e)) } else { problem(path, e.line, "Id=\(e.value): not a VLAN id") }
                } else {
                    problem(nameEntry.path, nameEntry.entry.line, "VLAN \(name) without [VLAN] Id=")
                }
                if let (path, e) = f.entry("VLAN", "Protocol") { d.vlanProtocol = Configured(e.value, origin(path, "VLAN", e)) }
            case .bridge:
                if let (path, e) = f.entry("Bridge", "VLANFiltering") {
                    if let on = boolean(e.value) { d.vlanFiltering = Configured(on, origin(path, "Bridge", e)) } else { problem(path, e.line, "VLANFiltering=\(e.value): not a boolean") }
                }
                if d.vlanFiltering?.value == true {
                    // networkd's default, the kernel's: DefaultPVID=1.
                    let e = f.entry("Bridge", "DefaultPVID")
                    let pvid = e.map { $0.entry.value == "none" ? 0 : Int($0.entry.value) ?? -1 } ?? 1
                    if let e, pvid < 0 || pvid > 4094 { problem(e.path, e.entry.line, "DefaultPVID=\(e.entry.value): not a VLAN id or none") }
                    let cited = e.map { origin($0.path, "Bridge", $0.entry) }
                        ?? ConfigOrigin(system: .networkd, file: f.path, line: nil, key: "[Bridge] DefaultPVID", value: "1 (default)")
                    if (1...4094).contains(pvid) { d.portDefaultVLANs = Configured(VIDList.set(tagged: "", pvid: pvid), cited) }
                }
            case .ethernet:
                break
            }
            order.append(name)
            devices[name] = d
        }

        // The .network files: the first that names a link configures it.
        var configured: Set<String> = []
        var parents: [String: Configured<String>] = [:]
        for f in ordered where f.kind == .network {
            let names = f.list("Match", "Name").flatMap { p in
                p.entry.value.split(separator: " ").map { (String($0), p) }
            }
            // Conditions on the host kvmnet cannot judge (systemd ships
            // 80-container-host0.network with Name=host0 and Virtualization=container):
            // such a file is not taken to apply.
            let literal = f.sections("Match").contains { s in s.section.entries.contains { hostConditions.contains($0.key) } }
                ? [] : names.filter { !isPattern($0.0) }
            // Unmanaged=yes: networkd leaves the links alone, and no later file configures them.
            if f.entry("Link", "Unmanaged").flatMap({ boolean($0.entry.value) }) == true {
                for (name, _) in literal { configured.insert(name) }
                continue
            }
            let activation = f.entry("Link", "ActivationPolicy")?.entry.value
            let onBoot = !["manual", "down", "always-down"].contains(activation ?? "")
            for (name, match) in literal where configured.insert(name).inserted {
                var d = devices[name] ?? IntendedDevice(name: name, kind: .ethernet, system: .networkd, file: f.path, onBoot: onBoot)
                if devices[name] == nil {
                    d.declaration = origin(match.path, "Match", match.entry)
                    order.append(name)
                } else {
                    d.onBoot = onBoot
                }
                if literal.count == 1 {
                    for l in label(f.path) where !d.labels.contains(where: { $0.value == l.value }) { d.labels.append(l) }
                }
                if let (path, e) = f.entry("Network", "Bond") { d.master = Configured(e.value, origin(path, "Network", e)) }
                if let (path, e) = f.entry("Network", "Bridge") { d.master = Configured(e.value, origin(path, "Network", e)) }
                for (path, e) in f.list("Network", "VLAN") {
                    for vlan in e.value.split(separator: " ") where parents[String(vlan)] == nil {
                        parents[String(vlan)] = Configured(name, origin(path, "Network", e))
                    }
                }
                if let (path, e) = f.entry("Link", "MTUBytes") {
                    if let mtu = bytes(e.value) { d.mtu = Configured(mtu, origin(path, "Link", e)) } else { problem(path, e.line, "MTUBytes=\(e.value): not a size") }
                }
                var addresses = f.list("Network", "Address").map { ($0.path, "Network", $0.entry) }
                addresses += f.sections("Address").compactMap { s in s.section.entry("Address").map { (s.path, "Address", $0) } }
                if let last = addresses.last {
                    d.addresses = Configured(addresses.map(\.2.value), origin(last.0, last.1, last.2))
                }
                if let vlans = bridgeVLANs(f, problem: problem) { d.vlans = vlans }
                devices[name] = d
            }
        }
        for (vlan, parent) in parents where devices[vlan]?.kind == .vlan { devices[vlan]?.vlanParent = parent }
        return (order.compactMap { devices[$0] }, problems)
    }

    /// The devices only (``read(_:)`` without its problems).
    public static func devices(_ files: [NetworkdFile]) -> [IntendedDevice] { read(files).devices }

    /// `[BridgeVLAN]`: every section's `VLAN=` (an id or range `10-20`; systemd 255 takes
    /// several, space-separated or repeated, in one section, older ones one a section),
    /// `EgressUntagged=` (the same, untagged on egress) and `PVID=` (the last wins, in any
    /// section, `false` for none). Cited at the last line that sets one.
    static func bridgeVLANs(_ f: NetworkdFile, problem: (String, Int, String) -> Void) -> Configured<BridgeVLANSet>? {
        var ranges: [BridgeVLANSet.Range] = []
        var pvid: Int?
        var last: (String, INIEntry)?
        for (path, section) in f.sections("BridgeVLAN") {
            for e in section.entries {
                let untagged: Bool
                switch e.key {
                case "VLAN": untagged = false
                case "EgressUntagged": untagged = true
                case "PVID":
                    last = (path, e)
                    if boolean(e.value) == false { pvid = nil; continue }
                    guard let id = Int(e.value), (1...4094).contains(id) else { problem(path, e.line, "PVID=\(e.value): not a VLAN id"); continue }
                    pvid = id
                    continue
                default: continue
                }
                last = (path, e)
                if e.value.isEmpty { ranges.removeAll { $0.untagged == untagged }; continue }
                for word in e.value.split(separator: " ") {
                    guard let r = VIDList.range(word, untagged: untagged) else { problem(path, e.line, "\(e.key)=\(e.value): not a VLAN id or range"); continue }
                    ranges.append(r)
                }
            }
        }
        guard let (path, e) = last else { return nil }
        // The PVID is a member (the kernel adds it with the flag); tagged unless said otherwise.
        if let pvid, !ranges.contains(where: { $0.contains(pvid) }) { ranges.append(BridgeVLANSet.Range(vid: pvid)) }
        return Configured(BridgeVLANSet(ranges: ranges, pvid: pvid),
                          ConfigOrigin(system: .networkd, file: path, line: e.line, key: "[BridgeVLAN] \(e.key)", value: e.value))
    }

    /// The file's stem without its order prefix, as a name the file goes by:
    /// `bond0.20` for `/etc/systemd/network/10-bond0.20.netdev`.
    public static func label(_ path: String) -> [Configured<String>] {
        let base = FileReader.basename(path)
        var stem = Substring(base)
        for suffix in [".netdev", ".network"] where stem.hasSuffix(suffix) { stem = stem.dropLast(suffix.count) }
        let digits = stem.prefix { $0.isNumber }
        if !digits.isEmpty, stem.dropFirst(digits.count).first == "-" { stem = stem.dropFirst(digits.count + 1) }
        guard !stem.isEmpty else { return [] }
        return [Configured(String(stem), ConfigOrigin(system: .networkd, file: path, line: nil, key: "file name", value: base))]
    }

    /// `[Match]` keys that test the host, not the link.
    static let hostConditions: Set<String> = [
        "Host", "Virtualization", "KernelCommandLine", "KernelVersion", "Credential", "Architecture", "Firmware",
    ]

    /// Whether `[Match] Name=` gives a pattern, not a name (globs and `!` negations are not matched).
    public static func isPattern(_ name: String) -> Bool { name.contains { "*?[!".contains($0) } }

    /// systemd's booleans.
    public static func boolean(_ value: String) -> Bool? {
        switch value.lowercased() {
        case "1", "yes", "y", "true", "t", "on": return true
        case "0", "no", "n", "false", "f", "off": return false
        default: return nil
        }
    }

    /// A size as systemd parses `MTUBytes=`: bytes, or with a `K`, `M` or `G` suffix (1024-based).
    public static func bytes(_ value: String) -> Int? {
        let units: [Character: Int] = ["K": 1024, "M": 1024 * 1024, "G": 1024 * 1024 * 1024]
        if let last = value.last, let unit = units[last], let n = Int(value.dropLast()), n >= 0, n <= Int(Int32.max) / unit { return n * unit }
        guard let n = Int(value), n >= 0 else { return nil }
        return n
    }

    /// A time span as systemd parses it, in milliseconds: `100ms`, `1s`, `0.5s`, `2min`,
    /// several parts (`1s 500ms`); a bare number is seconds.
    public static func milliseconds(_ value: String) -> Int? {
        let factors: [(String, Double)] = [
            ("usec", 0.001), ("us", 0.001), ("µs", 0.001), ("msec", 1), ("ms", 1), ("seconds", 1000), ("second", 1000),
            ("sec", 1000), ("s", 1000), ("minutes", 60_000), ("minute", 60_000), ("min", 60_000), ("m", 60_000),
            ("hours", 3_600_000), ("hour", 3_600_000), ("hr", 3_600_000), ("h", 3_600_000),
        ]
        var rest = Substring(value.trimmingSpaces())
        guard !rest.isEmpty else { return nil }
        var total = 0.0
        while !rest.isEmpty {
            rest = rest.drop { $0 == " " }
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let n = Double(number) else { return nil }
            rest = rest.dropFirst(number.count).drop { $0 == " " }
            let unit = rest.prefix { $0.isLetter || $0 == "µ" }
            if unit.isEmpty {
                total += n * 1000
            } else {
                guard let factor = factors.first(where: { $0.0 == unit })?.1 else { return nil }
                total += n * factor
                rest = rest.dropFirst(unit.count)
            }
        }
        guard total.isFinite, total >= 0, total < Double(Int32.max) else { return nil }
        return Int(total.rounded())
    }

    /// The configuration files networkd reads (`*.netdev`, `*.network`, not hidden).
    public static func kind(ofFileNamed name: String) -> NetworkdFile.Kind? {
        guard !name.hasPrefix(".") else { return nil }
        if name.hasSuffix(".netdev"), name.count > ".netdev".count { return .netdev }
        if name.hasSuffix(".network"), name.count > ".network".count { return .network }
        return nil
    }

    /// The file a drop-in directory belongs to: `10-br0.network` for `10-br0.network.d`.
    public static func owner(ofDropInDirectory name: String) -> String? {
        guard name.hasSuffix(".d") else { return nil }
        let owner = String(name.dropLast(2))
        return kind(ofFileNamed: owner) == nil ? nil : owner
    }
}

private extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
