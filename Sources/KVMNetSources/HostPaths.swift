/// Where every source of host facts is read: the proc and sys mounts, libvirt's
/// directories, the ifcfg directory and Proxmox VE's root, in one value. kvmnet-agent and kvmnet-diag take
/// it from the same options and start from the same ``init()`` defaults, so both read the
/// same places; a captured host (a fixture tree) is read by changing it alone.
public struct HostPaths: Sendable, Hashable {
    public var procfsRoot: String
    public var sysfsRoot: String
    /// Directories of libvirt XML: each file is classified by its root element, not by
    /// its directory (``LibvirtReader``).
    public var libvirtDirectories: [String]
    /// RHEL-style network scripts (`ifcfg-*`).
    public var ifcfgDirectory: String
    /// Proxmox VE's cluster file system (`/etc/pve`): guest configs under `qemu-server/`
    /// and `lxc/` (``ProxmoxReader``).
    public var proxmoxRoot: String
    /// This node's name in `<proxmoxRoot>/nodes/<node>`; `nil`: the host name.
    public var proxmoxNode: String?
    /// Where the absolute paths inside configuration files (`source /etc/network/...`)
    /// are looked up: `/` on the host, the tree's root when replaying one.
    public var configRoot: String = "/"
    /// Debian's interfaces(5) file (ifupdown, ifupdown2); its `source` lines are followed.
    public var ifupdownInterfaces: String = HostPaths.defaultIfupdownInterfaces
    /// NetworkManager's keyfile directories, in its precedence (a file name in an earlier
    /// one shadows the same name in a later one).
    public var networkManagerDirectories: [String] = HostPaths.defaultNetworkManagerDirectories
    /// systemd-networkd's directories, in its precedence: a `.netdev` or `.network` file
    /// name in an earlier one shadows the same name in a later one; drop-ins
    /// (`<file>.d/*.conf`) are taken from all of them.
    public var networkdDirectories: [String] = HostPaths.defaultNetworkdDirectories
    /// netplan's directories, in its precedence: a `*.yaml` file name in an earlier one
    /// shadows (completely replaces) the same name in a later one; the files left are
    /// merged in the lexical order of their names, whatever their directory.
    public var netplanDirectories: [String] = HostPaths.defaultNetplanDirectories

    /// Running domains, defined domains, active networks, defined networks.
    public static let defaultLibvirtDirectories = [
        "/run/libvirt/qemu", "/etc/libvirt/qemu", "/run/libvirt/network", "/etc/libvirt/qemu/networks",
    ]
    public static let defaultIfcfgDirectory = "/etc/sysconfig/network-scripts"
    public static let defaultIfupdownInterfaces = "/etc/network/interfaces"
    public static let defaultNetworkManagerDirectories = [
        "/etc/NetworkManager/system-connections", "/run/NetworkManager/system-connections",
        "/usr/lib/NetworkManager/system-connections",
    ]
    /// networkd's own search path (systemd 252's `NETWORK_DIRS`, as `strings` shows it in
    /// Debian's binary and `systemd-analyze cat-config` follows it): `/usr/local/lib` before
    /// `/usr/lib`, and `/lib` for hosts whose /usr is not merged.
    public static let defaultNetworkdDirectories = [
        "/etc/systemd/network", "/run/systemd/network", "/usr/local/lib/systemd/network",
        "/usr/lib/systemd/network", "/lib/systemd/network",
    ]

    /// netplan-generate(8): /run/netplan shadows /etc/netplan, which shadows /lib/netplan.
    public static let defaultNetplanDirectories = ["/run/netplan", "/etc/netplan", "/lib/netplan"]

    /// The real host's paths by default.
    public init(procfsRoot: String = "/proc", sysfsRoot: String = "/sys",
                libvirtDirectories: [String] = HostPaths.defaultLibvirtDirectories,
                ifcfgDirectory: String = HostPaths.defaultIfcfgDirectory,
                proxmoxRoot: String = ProxmoxReader.defaultRoot, proxmoxNode: String? = nil) {
        self.procfsRoot = procfsRoot
        self.sysfsRoot = sysfsRoot
        self.libvirtDirectories = libvirtDirectories
        self.ifcfgDirectory = ifcfgDirectory
        self.proxmoxRoot = proxmoxRoot
        self.proxmoxNode = proxmoxNode
    }

    /// Every configuration path (ifcfg included) moved under `root`: a captured host's
    /// `/etc` tree, or a test's directory, is read as the host's own.
    public mutating func rootConfiguration(at root: String) {
        func under(_ path: String) -> String { HostFiles.join(root, String(path.drop { $0 == "/" })) }
        configRoot = root
        ifcfgDirectory = under(ifcfgDirectory)
        ifupdownInterfaces = under(ifupdownInterfaces)
        networkManagerDirectories = networkManagerDirectories.map(under)
        networkdDirectories = networkdDirectories.map(under)
        netplanDirectories = netplanDirectories.map(under)
    }

    /// A path named inside a configuration file: absolute ones under ``configRoot``,
    /// relative ones under `directory` (the including file's).
    public func config(_ path: String, relativeTo directory: String) -> String {
        if path.hasPrefix("/") { return configRoot == "/" ? path : HostFiles.join(configRoot, String(path.dropFirst())) }
        return HostFiles.join(directory, path)
    }

    /// A file under the procfs root: `procfs("net/bonding")`.
    public func procfs(_ relative: String) -> String { HostFiles.join(procfsRoot, relative) }

    /// A file under the sysfs root: `sysfs("class/net")`.
    public func sysfs(_ relative: String) -> String { HostFiles.join(sysfsRoot, relative) }
}
