/// One `KEY=value` assignment of an ifcfg file, with its 1-based line.
public struct IfcfgEntry: Sendable, Hashable, Codable {
    public var key: String
    /// The value with shell quoting removed.
    public var value: String
    public var line: Int

    public init(key: String, value: String, line: Int) {
        self.key = key
        self.value = value
        self.line = line
    }
}

/// A Red Hat style `/etc/sysconfig/network-scripts/ifcfg-<name>` file.
///
/// The accessors interpret the keys the way initscripts and NetworkManager's
/// ifcfg-rh plugin do: the last assignment wins, `yes`/`no` booleans, `DEVICE`
/// falling back to the file name.
public struct IfcfgFile: Sendable, Hashable, Codable {
    /// Absolute path of the file.
    public var path: String
    /// The part of the file name after `ifcfg-` (`ens37.20`).
    public var name: String
    public var entries: [IfcfgEntry]

    public init(path: String, name: String, entries: [IfcfgEntry]) {
        self.path = path
        self.name = name
        self.entries = entries
    }

    /// The last assignment of `key`, if any.
    public func entry(_ key: String) -> IfcfgEntry? { entries.last { $0.key == key } }

    /// The value of the last assignment of `key`.
    public func value(_ key: String) -> String? { entry(key)?.value }

    /// `yes`/`true`/`1` (any case) is true; `no`/`false`/`0` false; anything else `nil`.
    public func flag(_ key: String) -> Bool? {
        switch value(key)?.lowercased() {
        case "yes", "y", "true", "1": return true
        case "no", "n", "false", "0": return false
        default: return nil
        }
    }

    /// `DEVICE=`, or the file name when the key is absent.
    public var device: String { value("DEVICE").flatMap { $0.isEmpty ? nil : $0 } ?? name }

    /// `TYPE=` lower-cased (`ethernet`, `bond`, `bridge`, `vlan`).
    public var type: String? { value("TYPE")?.lowercased() }

    /// Whether the file configures a VLAN device (`VLAN=yes` or `TYPE=Vlan`).
    public var isVLAN: Bool { flag("VLAN") == true || type == "vlan" }

    /// Whether the file configures a bond master.
    public var isBond: Bool { type == "bond" || flag("BONDING_MASTER") == true || value("BONDING_OPTS") != nil }

    /// Whether the file configures a bridge.
    public var isBridge: Bool { type == "bridge" }

    /// `VLAN_ID=` as a number.
    public var vlanID: Int? { value("VLAN_ID").flatMap { Int($0) } }

    /// `PHYSDEV=`: the VLAN's parent.
    public var physicalDevice: String? { value("PHYSDEV") }

    /// `BRIDGE=`: the bridge this device is a port of.
    public var bridge: String? { value("BRIDGE").flatMap { $0.isEmpty ? nil : $0 } }

    /// `MASTER=` together with `SLAVE=yes`: the bond this device is a slave of.
    public var bondMaster: String? {
        guard let master = value("MASTER"), !master.isEmpty, flag("SLAVE") != false else { return nil }
        return master
    }

    /// `ONBOOT=`; initscripts default to yes.
    public var onBoot: Bool { flag("ONBOOT") ?? true }

    /// `BONDING_OPTS="mode=802.3ad miimon=100"` split into options.
    public var bondingOptions: [String: String] {
        guard let text = value("BONDING_OPTS") else { return [:] }
        var options: [String: String] = [:]
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
            let parts = word.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { options[String(parts[0])] = String(parts[1]) }
        }
        return options
    }
}
