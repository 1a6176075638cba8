import KVMNetModel
import KVMNetSources

/// Builds ``Evidence`` that cites where a value was read: the sysfs file or netlink
/// attribute of a link, the line of /proc/net/bonding or /proc/net/vlan/config when the
/// raw file was kept, the line of an ifcfg file or libvirt XML.
public struct EvidenceBuilder: Sendable {
    let snapshot: DiagSnapshot

    /// Attributes of a link the checks cite.
    public enum LinkAttribute: String, Sendable {
        case operState = "operstate"
        case flags = "flags"
        case carrier = "carrier"
        case mtu = "mtu"
        case master = "master"
        case address = "address"
        case speed = "speed"
        case addresses = "addresses"

        var netlinkName: String {
            switch self {
            case .operState: return "IFLA_OPERSTATE"
            case .flags: return "ifi_flags"
            case .carrier: return "IFLA_CARRIER"
            case .mtu: return "IFLA_MTU"
            case .master: return "IFLA_MASTER"
            case .address: return "IFLA_ADDRESS"
            case .speed: return "ethtool speed"
            case .addresses: return "RTM_GETADDR"
            }
        }
    }

    private var fromSysfs: Bool { snapshot.topologySources.contains(.sysfs) }

    /// A link attribute: `/sys/class/net/<dev>/<attr>` when the scan read sysfs, else the
    /// netlink attribute.
    public func link(_ name: String, _ attribute: LinkAttribute, _ value: String) -> Evidence {
        if attribute == .addresses {
            let source = snapshot.facts.addressSource?.rawValue ?? "model"
            if source == "procfs" {
                return Evidence(source: "procfs", file: HostFiles.join(snapshot.procfsRoot, "net/fib_trie"),
                                attribute: "addresses of \(name)", value: value)
            }
            return Evidence(source: source, attribute: "addresses of \(name) (RTM_GETADDR)", value: value)
        }
        if fromSysfs {
            let path = HostFiles.join(snapshot.sysfsRoot, "class/net/\(name)/\(attribute.rawValue)")
            return Evidence(source: "sysfs", file: path, attribute: attribute.rawValue, value: value)
        }
        return Evidence(source: "netlink", attribute: "\(attribute.netlinkName) of \(name)", value: value)
    }

    /// A value of `/proc/net/bonding/<bond>`, in the bond's header or in one slave's block.
    /// Cites the line when the raw file is in the snapshot, the sysfs file otherwise.
    public func bond(_ bond: String, _ label: String, _ value: String, slave: String? = nil) -> Evidence {
        let path = HostFiles.join(snapshot.procfsRoot, "net/bonding/\(bond)")
        if let file = snapshot.file(at: path) {
            var start = 1
            if let slave, let block = file.lineNumber(startingWith: "Slave Interface: \(slave)") {
                start = block
            }
            if let line = file.lineNumber(startingWith: label, from: start) {
                return Evidence(source: "procfs", file: path, line: line, attribute: label, value: value)
            }
            return Evidence(source: "procfs", file: path, attribute: label, value: value)
        }
        if let sysfs = Self.bondingSysfsFile[label] {
            let device = slave ?? bond
            let dir = slave == nil ? "bonding" : "bonding_slave"
            let file = HostFiles.join(snapshot.sysfsRoot, "class/net/\(device)/\(dir)/\(sysfs)")
            return Evidence(source: "sysfs", file: file, attribute: label, value: value)
        }
        return Evidence(source: "model", attribute: "\(label) of \(slave ?? bond)", value: value)
    }

    /// sysfs equivalents of the procfs labels the checks cite.
    private static let bondingSysfsFile: [String: String] = [
        "Bonding Mode": "mode",
        "Currently Active Slave": "active_slave",
        "MII Polling Interval (ms)": "miimon",
        "ARP Polling Interval (ms)": "arp_interval",
        "MII Status": "mii_status",
        "Aggregator ID": "ad_aggregator_id",
        "Partner Mac Address": "ad_partner_mac",
    ]

    /// The row of `/proc/net/vlan/config` for a VLAN device (when kept), else the model.
    public func vlan(_ vlan: VLANDevice) -> Evidence {
        let path = HostFiles.join(snapshot.procfsRoot, "net/vlan/config")
        let value = "\(vlan.name) | \(vlan.id) | \(vlan.parent)"
        if let file = snapshot.file(at: path),
           let line = file.lines.firstIndex(where: { row in
               row.hasPrefix(vlan.name) && row.dropFirst(vlan.name.count).first.map { $0 == " " || $0 == "|" } == true
           }) {
            return Evidence(source: "procfs", file: path, line: line + 1, attribute: "VLAN Dev name | VLAN ID | parent", value: value)
        }
        if snapshot.topologySources.contains(.netlink) {
            return Evidence(source: "netlink", attribute: "IFLA_VLAN_ID / IFLA_LINK of \(vlan.name)",
                            value: "\(vlan.id) / \(vlan.parent)")
        }
        return Evidence(source: "procfs", file: path, attribute: "VLAN ID | parent of \(vlan.name)",
                        value: "\(vlan.id) | \(vlan.parent)")
    }

    /// STP state of a bridge port: `/sys/class/net/<port>/brport/state`.
    public func bridgePortState(_ port: BridgePort) -> Evidence {
        let value = "\(port.state.rawValue) (\(port.state.name))"
        if fromSysfs {
            return Evidence(source: "sysfs", file: HostFiles.join(snapshot.sysfsRoot, "class/net/\(port.name)/brport/state"),
                            attribute: "state", value: value)
        }
        return Evidence(source: "netlink", attribute: "IFLA_BRPORT_STATE of \(port.name)", value: value)
    }

    /// The port list of a bridge: `/sys/class/net/<bridge>/brif/`.
    public func bridgePorts(_ bridge: Bridge) -> Evidence {
        let value = bridge.ports.isEmpty ? "(none)" : bridge.ports.map(\.name).sorted().joined(separator: " ")
        if fromSysfs {
            return Evidence(source: "sysfs", file: HostFiles.join(snapshot.sysfsRoot, "class/net/\(bridge.name)/brif/"),
                            attribute: "ports", value: value)
        }
        return Evidence(source: "netlink", attribute: "links with IFLA_MASTER=\(bridge.name)", value: value)
    }

    /// A port's (or the bridge's own) VLAN rows, as `bridge vlan show` prints them, from
    /// the `AF_BRIDGE` link dump.
    public func bridgeVLANs(_ device: String, _ set: BridgeVLANSet) -> Evidence {
        Evidence(source: "netlink", attribute: "IFLA_BRIDGE_VLAN_INFO of \(device) (bridge vlan show dev \(device))",
                 value: Self.vlanRows(set))
    }

    /// `10 PVID untagged, 20-30`; `(none)` for an empty set.
    static func vlanRows(_ set: BridgeVLANSet) -> String {
        guard !set.isEmpty else { return "(none)" }
        return set.ranges.map { r in
            var row = r.text
            if let p = set.pvid, r.contains(p) {
                row = r.first == r.last ? "\(p) PVID" : "\(r.text) (PVID \(p))"
            }
            return r.untagged ? row + " untagged" : row
        }.joined(separator: ", ")
    }

    /// Whether a bridge filters VLANs: `/sys/class/net/<br>/bridge/vlan_filtering` or
    /// `IFLA_BR_VLAN_FILTERING`.
    public func vlanFiltering(_ bridge: Bridge) -> Evidence {
        let value = bridge.vlanFiltering.map { $0 ? "1" : "0" } ?? "(unknown)"
        if fromSysfs {
            return Evidence(source: "sysfs", file: HostFiles.join(snapshot.sysfsRoot, "class/net/\(bridge.name)/bridge/vlan_filtering"),
                            attribute: "vlan_filtering", value: value)
        }
        return Evidence(source: "netlink", attribute: "IFLA_BR_VLAN_FILTERING of \(bridge.name)", value: value)
    }

    /// A sysctl value with its file.
    public func sysctl(_ value: SysctlValue) -> Evidence {
        Evidence(source: "sysctl", file: value.path, line: 1, attribute: value.key, value: value.value)
    }

    /// An ifcfg assignment with its line.
    public func ifcfg(_ file: IfcfgFile, _ entry: IfcfgEntry) -> Evidence {
        Evidence(source: "ifcfg", file: file.path, line: entry.line, attribute: entry.key, value: entry.value)
    }

    /// A configured value of any configuration system, with its file and line (or key).
    public func config(_ origin: ConfigOrigin) -> Evidence {
        Evidence(source: origin.system.rawValue, file: origin.file, line: origin.line, attribute: origin.key, value: origin.value)
    }

    /// The ifcfg file itself (for a key that is absent).
    public func ifcfg(_ file: IfcfgFile, missing key: String) -> Evidence {
        Evidence(source: "ifcfg", file: file.path, attribute: key, value: "(not set)")
    }

    /// An element of a domain's `<interface>`: `child` is `target`, `source`, `mac`, `link`.
    public func libvirt(_ domain: LibvirtDomain, _ iface: LibvirtInterface, child: String,
                        attribute: String, value: String) -> Evidence {
        Evidence(source: "libvirt", file: domain.file, line: iface.childLines[child] ?? iface.line,
                 attribute: "<\(child) \(attribute)>", value: value)
    }

    /// A derived fact, with nothing to cite but the model.
    public func model(_ attribute: String, _ value: String) -> Evidence {
        Evidence(source: "model", attribute: attribute, value: value)
    }
}
