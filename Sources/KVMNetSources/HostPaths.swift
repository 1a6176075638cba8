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

    /// Running domains, defined domains, active networks, defined networks.
    public static let defaultLibvirtDirectories = [
        "/run/libvirt/qemu", "/etc/libvirt/qemu", "/run/libvirt/network", "/etc/libvirt/qemu/networks",
    ]
    public static let defaultIfcfgDirectory = "/etc/sysconfig/network-scripts"

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

    /// A file under the procfs root: `procfs("net/bonding")`.
    public func procfs(_ relative: String) -> String { HostFiles.join(procfsRoot, relative) }

    /// A file under the sysfs root: `sysfs("class/net")`.
    public func sysfs(_ relative: String) -> String { HostFiles.join(sysfsRoot, relative) }
}
