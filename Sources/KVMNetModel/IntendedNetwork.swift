/// A network configuration system: who creates a device at boot. Each has a parser from
/// its own files to ``IntendedDevice`` values; the drift checks compare those with the
/// running ``Topology`` whatever the system.
public enum ConfigSystem: String, Sendable, Hashable, Codable, CaseIterable, Comparable, CustomStringConvertible {
    /// RHEL-style `/etc/sysconfig/network-scripts/ifcfg-*` (initscripts, NetworkManager's ifcfg-rh).
    case ifcfg
    /// Debian's `/etc/network/interfaces` (ifupdown and ifupdown2, with `source` and
    /// `source-directory`).
    case ifupdown
    /// NetworkManager keyfiles (`system-connections/*.nmconnection`).
    case networkManager = "networkmanager"
    /// systemd-networkd `.netdev` and `.network` files, with drop-ins (`<file>.d/*.conf`).
    case networkd
    /// netplan YAML (`/etc/netplan/*.yaml`).
    case netplan

    public static func < (lhs: ConfigSystem, rhs: ConfigSystem) -> Bool {
        (allCases.firstIndex(of: lhs) ?? 0) < (allCases.firstIndex(of: rhs) ?? 0)
    }

    /// How people call it: `NetworkManager`, `systemd-networkd`.
    public var displayName: String {
        switch self {
        case .ifcfg: return "ifcfg"
        case .ifupdown: return "ifupdown"
        case .networkManager: return "NetworkManager"
        case .networkd: return "systemd-networkd"
        case .netplan: return "netplan"
        }
    }

    public var description: String { rawValue }
}

/// Where one configured value was written: the file and line (text formats), or the
/// profile and key (NetworkManager: `[vlan] id` of profile `vlan20`).
public struct ConfigOrigin: Sendable, Hashable, Codable, CustomStringConvertible {
    public var system: ConfigSystem
    /// Absolute path of the file.
    public var file: String
    /// 1-based line; `nil` when the value is implied (a default, the file's name).
    public var line: Int?
    /// The key as the system writes it: `VLAN_ID`, `vlan-id`, `vlan.id`, `[VLAN] Id`.
    public var key: String
    /// The value as written.
    public var value: String

    public init(system: ConfigSystem, file: String, line: Int?, key: String, value: String) {
        self.system = system
        self.file = file
        self.line = line
        self.key = key
        self.value = value
    }

    /// `/etc/network/interfaces:12: bond-mode 802.3ad`.
    public var description: String { "\(file)\(line.map { ":\($0)" } ?? ""): \(key)=\(value)" }
}

/// A configured value with the place it was written.
public struct Configured<Value: Sendable & Hashable & Codable>: Sendable, Hashable, Codable {
    public var value: Value
    public var origin: ConfigOrigin

    public init(_ value: Value, _ origin: ConfigOrigin) {
        self.value = value
        self.origin = origin
    }
}

/// The kind of device a configuration creates or configures.
public enum IntendedKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// A device the configuration does not create (a NIC, a device of another system);
    /// it may still set its MTU, addresses or master.
    case ethernet
    case bond
    case vlan
    case bridge

    /// Whether the configuration creates the device (a NIC exists without it).
    public var isVirtual: Bool { self != .ethernet }
}

/// One device as a configuration system intends it to be after boot. Everything is
/// optional: `nil` means "not configured", never "off".
public struct IntendedDevice: Sendable, Hashable, Codable {
    /// The kernel name of the device (`bond0.10`).
    public var name: String
    public var kind: IntendedKind
    public var system: ConfigSystem
    /// The file (or NetworkManager profile file) that configures it.
    public var file: String
    /// The names the file or profile goes by, as its author chose them: the part after
    /// `ifcfg-`, the keyfile's stem and the profile's `id`, the networkd file's stem
    /// (without its `10-` order prefix), the netplan key, the ifupdown stanza. The
    /// name/id checks compare what they say with the content.
    public var labels: [Configured<String>] = []
    /// Where the device is declared (the `iface` line, `[connection]`, `DEVICE=`); `nil`
    /// when its name comes from the file's name only.
    public var declaration: ConfigOrigin?
    /// NetworkManager's profile id (`nmcli connection ... <id>`).
    public var profile: String?
    /// Brought up at boot (`ONBOOT`, `auto`, `autoconnect`); only such devices are
    /// missed when they do not run.
    public var onBoot: Bool

    public var bondMode: Configured<String>?
    public var bondMiimon: Configured<Int>?
    /// Slaves named on the bond itself (ifupdown `bond-slaves`, netplan `interfaces`).
    /// Systems that name the master on the slave set ``master`` there instead.
    public var bondSlaves: Configured<[String]>?
    public var vlanID: Configured<Int>?
    public var vlanParent: Configured<String>?
    /// The VLAN's tag protocol as written (`802.1q`, `802.1ad`; networkd's `[VLAN]
    /// Protocol=`); `nil`: not configured (802.1Q).
    public var vlanProtocol: Configured<String>?
    /// Ports named on the bridge itself (ifupdown `bridge-ports`, netplan `interfaces`).
    public var bridgePorts: Configured<[String]>?
    /// The bond or bridge this device is a slave or port of (`MASTER=`, `BRIDGE=`,
    /// `controller=`, `[Network] Bridge=`).
    public var master: Configured<String>?
    /// VLAN filtering of a bridge.
    public var vlanFiltering: Configured<Bool>?
    /// The VLANs of a bridge port, or of the bridge itself (its self port).
    public var vlans: Configured<BridgeVLANSet>?
    /// What the ports of a VLAN-aware bridge get unless they say otherwise (ifupdown2's
    /// `bridge-vids`/`bridge-pvid` on the bridge, NetworkManager's `vlan-default-pvid`,
    /// networkd's `DefaultPVID=`).
    public var portDefaultVLANs: Configured<BridgeVLANSet>?
    public var mtu: Configured<Int>?
    /// Addresses with prefix length (`10.0.0.1/24`).
    public var addresses: Configured<[String]>?

    public init(name: String, kind: IntendedKind, system: ConfigSystem, file: String, onBoot: Bool = true) {
        self.name = name
        self.kind = kind
        self.system = system
        self.file = file
        self.onBoot = onBoot
    }

    /// Where the device is declared, else its file.
    public var anchor: ConfigOrigin {
        declaration ?? ConfigOrigin(system: system, file: file, line: nil, key: "file", value: name)
    }
}

/// A configuration system found on the host, with where it was read.
public struct DetectedConfigSystem: Sendable, Hashable, Codable {
    public var system: ConfigSystem
    /// The files it was read from (only those that configure something).
    public var files: [String]

    public init(system: ConfigSystem, files: [String]) {
        self.system = system
        self.files = files
    }
}

/// The network every configuration system of the host intends: the devices they
/// create or configure, each with the place it was written.
public struct IntendedNetwork: Sendable, Hashable, Codable {
    public var devices: [IntendedDevice]
    /// The systems whose files were found (a system with no file is not in use).
    public var systems: [DetectedConfigSystem]

    public init(devices: [IntendedDevice] = [], systems: [DetectedConfigSystem] = []) {
        self.devices = devices
        self.systems = systems
    }

    /// Both networks together.
    public func merged(with other: IntendedNetwork) -> IntendedNetwork {
        IntendedNetwork(devices: devices + other.devices, systems: systems + other.systems)
    }

    /// Whether any system was found.
    public var isEmpty: Bool { systems.isEmpty && devices.isEmpty }

    /// The devices called `name`, one per system (or file) that configures it.
    public func devices(named name: String) -> [IntendedDevice] { devices.filter { $0.name == name } }

    /// The first device of that name configured by `system`.
    public func device(named name: String, system: ConfigSystem) -> IntendedDevice? {
        devices.first { $0.name == name && $0.system == system }
    }

    /// The ports of bridge (or slaves of bond) `master` in `system`: named on the master,
    /// or naming it as their master, each with the place that says so.
    public func members(of master: String, system: ConfigSystem) -> [(name: String, origin: ConfigOrigin)] {
        var out: [(String, ConfigOrigin)] = []
        if let m = device(named: master, system: system) {
            for list in [m.bridgePorts, m.bondSlaves].compactMap({ $0 }) {
                out += list.value.map { ($0, list.origin) }
            }
        }
        for d in devices where d.system == system && d.master?.value == master && !out.contains(where: { $0.0 == d.name }) {
            if let origin = d.master?.origin { out.append((d.name, origin)) }
        }
        return out
    }

    /// The master (bond or bridge) that `device` belongs to in `system`: the one it names,
    /// or the one naming it among its ports or slaves.
    public func master(of device: String, system: ConfigSystem) -> Configured<String>? {
        if let named = self.device(named: device, system: system)?.master { return named }
        for d in devices where d.system == system {
            for list in [d.bridgePorts, d.bondSlaves].compactMap({ $0 }) where list.value.contains(device) {
                return Configured(d.name, list.origin)
            }
        }
        return nil
    }
}
