import KVMNetModel

/// NetworkManager keyfiles (`*.nmconnection`, GLib key-file syntax) as the shared model
/// of intended state: one device per profile. Keys are cited as `nmcli` names them
/// (`vlan.id`), with their file and line. `master=`/`controller=` and `vlan.parent` may
/// name a profile (uuid or id) instead of an interface: they are resolved against the
/// other profiles.
public enum KeyfileIntended {
    /// Profile types that make or configure a device kvmnet models.
    static let kinds: [String: IntendedKind] = [
        "bond": .bond, "vlan": .vlan, "bridge": .bridge, "ethernet": .ethernet, "802-3-ethernet": .ethernet,
    ]

    /// Every profile of a kind kvmnet models; others (wifi, loopback, vpn) are left out.
    public static func devices(_ files: [INIFile]) -> [IntendedDevice] {
        // Profile uuid and id -> interface name, for master/parent references.
        var byReference: [String: String] = [:]
        for f in files {
            guard let name = interfaceName(f) else { continue }
            for key in ["uuid", "id"] { if let v = f.entry("connection", key)?.value { byReference[v] = name } }
        }
        func resolve(_ ref: String) -> String { byReference[ref] ?? ref }
        return files.compactMap { f -> IntendedDevice? in
            guard let type = f.entry("connection", "type")?.value, let kind = kinds[type],
                  let name = interfaceName(f) else { return nil }
            func origin(_ section: String, _ e: INIEntry, as key: String? = nil) -> ConfigOrigin {
                ConfigOrigin(system: .networkManager, file: f.path, line: e.line, key: key ?? "\(section).\(e.key)", value: e.value)
            }
            func entry(_ section: String, _ key: String) -> INIEntry? { f.entry(section, key) }
            let autoconnect = entry("connection", "autoconnect").map { !["false", "no", "0"].contains($0.value.lowercased()) } ?? true
            var d = IntendedDevice(name: name, kind: kind, system: .networkManager, file: f.path, onBoot: autoconnect)
            let idEntry = entry("connection", "id")
            d.profile = idEntry?.value ?? FileReader.basename(f.path)
            d.declaration = entry("connection", "interface-name").map { origin("connection", $0) }
                ?? idEntry.map { origin("connection", $0) }
            let stem = stemOf(f.path)
            d.labels = [Configured(stem, ConfigOrigin(system: .networkManager, file: f.path, line: nil, key: "file name", value: FileReader.basename(f.path)))]
            if let idEntry, idEntry.value != stem { d.labels.append(Configured(idEntry.value, origin("connection", idEntry))) }
            if let e = entry("bond", "mode") { d.bondMode = Configured(e.value, origin("bond", e, as: "bond.options mode")) }
            if let e = entry("bond", "miimon"), let v = Int(e.value) { d.bondMiimon = Configured(v, origin("bond", e, as: "bond.options miimon")) }
            if let e = entry("connection", "controller") ?? entry("connection", "master") {
                d.master = Configured(resolve(e.value), origin("connection", e))
            }
            if kind == .vlan {
                if let e = entry("vlan", "id"), let id = Int(e.value) { d.vlanID = Configured(id, origin("vlan", e)) }
                if let e = entry("vlan", "parent") { d.vlanParent = Configured(resolve(e.value), origin("vlan", e)) }
            }
            if kind == .bridge {
                // NetworkManager's default: vlan-filtering off, vlan-default-pvid 1.
                if let e = entry("bridge", "vlan-filtering") { d.vlanFiltering = Configured(e.value == "true" || e.value == "1", origin("bridge", e)) }
                if let e = entry("bridge", "vlans") { d.vlans = Configured(vlanSet(e.value), origin("bridge", e)) }
                if d.vlanFiltering?.value == true {
                    let e = entry("bridge", "vlan-default-pvid")
                    let pvid = e.flatMap { Int($0.value) } ?? 1
                    let cited = e.map { origin("bridge", $0) }
                        ?? ConfigOrigin(system: .networkManager, file: f.path, line: nil, key: "bridge.vlan-default-pvid", value: "1 (default)")
                    if pvid > 0 { d.portDefaultVLANs = Configured(VIDList.set(tagged: "", pvid: pvid), cited) }
                }
            }
            if let e = entry("bridge-port", "vlans") { d.vlans = Configured(vlanSet(e.value), origin("bridge-port", e)) }
            if let e = entry("ethernet", "mtu") ?? entry("802-3-ethernet", "mtu"), let mtu = Int(e.value), mtu > 0 {
                d.mtu = Configured(mtu, origin("ethernet", e))
            }
            let addresses = f.sections("ipv4").flatMap(\.entries).filter { $0.key.hasPrefix("address") && $0.key.dropFirst(7).allSatisfy(\.isNumber) }
            if let last = addresses.last {
                let list = addresses.map { String($0.value.split(separator: ",").first ?? "") }.filter { !$0.isEmpty }
                d.addresses = Configured(list, origin("ipv4", last, as: "ipv4.addresses"))
            }
            return d
        }
    }

    /// `connection.interface-name`; a VLAN without one is called `<parent>.<id>` by
    /// NetworkManager only when its parent is an interface, so it stays unnamed otherwise.
    static func interfaceName(_ f: INIFile) -> String? {
        if let n = f.entry("connection", "interface-name")?.value, !n.isEmpty { return n }
        if f.entry("connection", "type")?.value == "vlan", let p = f.entry("vlan", "parent")?.value,
           let id = f.entry("vlan", "id")?.value, !p.contains("-") || p.count != 36 {
            return "\(p).\(id)"
        }
        return nil
    }

    /// `vlan20` for `/etc/NetworkManager/system-connections/vlan20.nmconnection`.
    static func stemOf(_ path: String) -> String {
        let base = FileReader.basename(path)
        return base.hasSuffix(".nmconnection") ? String(base.dropLast(".nmconnection".count)) : base
    }

    /// `bridge.vlans` / `bridge-port.vlans`: `1 pvid untagged,10-20` (comma-separated
    /// entries, each a VID or range with optional `pvid` and `untagged` flags).
    public static func vlanSet(_ text: String) -> BridgeVLANSet {
        var ranges: [BridgeVLANSet.Range] = []
        var pvid: Int?
        for item in text.split(separator: ",") {
            let words = item.split(separator: " ")
            guard let first = words.first else { continue }
            let untagged = words.contains("untagged")
            guard let r = VIDList.range(first, untagged: untagged) else { continue }
            ranges.append(r)
            if words.contains("pvid"), r.first == r.last { pvid = r.first }
        }
        return BridgeVLANSet(ranges: ranges, pvid: pvid)
    }

    /// Whether NetworkManager reads a keyfile of this name (`*.nmconnection`, not hidden,
    /// not a backup).
    public static func isKeyfileName(_ name: String) -> Bool {
        name.hasSuffix(".nmconnection") && !name.hasPrefix(".") && name.count > ".nmconnection".count
    }
}
