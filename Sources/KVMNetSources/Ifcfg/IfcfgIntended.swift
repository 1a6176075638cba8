import KVMNetModel

/// ifcfg files as the shared model of intended state.
public enum IfcfgIntended {
    /// One device per file. ifcfg is in use when there is a file: an empty
    /// network-scripts directory (RHEL 9 keeps one) configures nothing.
    public static func network(_ files: [IfcfgFile]) -> IntendedNetwork {
        let devices = files.map(device)
        let systems = files.isEmpty ? [] : [DetectedConfigSystem(system: .ifcfg, files: files.map(\.path))]
        return IntendedNetwork(devices: devices, systems: systems)
    }

    /// The device `file` configures.
    public static func device(_ file: IfcfgFile) -> IntendedDevice {
        let kind: IntendedKind = file.isVLAN ? .vlan : file.isBond ? .bond : file.isBridge ? .bridge : .ethernet
        var d = IntendedDevice(name: file.device, kind: kind, system: .ifcfg, file: file.path, onBoot: file.onBoot)
        func origin(_ entry: IfcfgEntry) -> ConfigOrigin {
            ConfigOrigin(system: .ifcfg, file: file.path, line: entry.line, key: entry.key, value: entry.value)
        }
        d.labels = [Configured(file.name, ConfigOrigin(system: .ifcfg, file: file.path, line: nil, key: "file name", value: "ifcfg-\(file.name)"))]
        d.declaration = file.entry("DEVICE").map(origin)
        if let opts = file.entry("BONDING_OPTS") {
            let options = file.bondingOptions
            if let mode = options["mode"] { d.bondMode = Configured(mode, origin(opts)) }
            if let miimon = options["miimon"].flatMap({ Int($0) }) { d.bondMiimon = Configured(miimon, origin(opts)) }
        }
        if file.isVLAN {
            if let id = file.vlanID, let e = file.entry("VLAN_ID") { d.vlanID = Configured(id, origin(e)) }
            if let e = file.entry("PHYSDEV"), !e.value.isEmpty { d.vlanParent = Configured(e.value, origin(e)) }
        }
        if let bridge = file.bridge, let e = file.entry("BRIDGE") {
            d.master = Configured(bridge, origin(e))
        } else if let bond = file.bondMaster, let e = file.entry("MASTER") {
            d.master = Configured(bond, origin(e))
        }
        if let e = file.entry("MTU"), let mtu = Int(e.value) { d.mtu = Configured(mtu, origin(e)) }
        if let e = file.entry("IPADDR") {
            let prefix = file.value("PREFIX") ?? "32"
            d.addresses = Configured(["\(e.value)/\(prefix)"], origin(e))
        }
        return d
    }
}
