import ArgumentParser
import KVMNetDiagnose
import KVMNetFirewallReader
import KVMNetSources

/// Where to read the live host from; the same source options as kvmnet-agent.
struct SourceOptions: ParsableArguments {
    @Option(name: .customLong("path.procfs"), help: "procfs mount point.")
    var procfs: String?

    @Option(name: .customLong("path.sysfs"), help: "sysfs mount point.")
    var sysfs: String?

    @Flag(name: .customLong("no-netlink"), help: "Read links from sysfs instead of the rtnetlink dump (no IP addresses then, except from procfs).")
    var noNetlink = false

    @Option(name: .customLong("libvirt-dir"), help: ArgumentHelp(
        "Directory of libvirt XML (repeatable). Default: /run/libvirt/qemu (running domains), /etc/libvirt/qemu (defined), /run/libvirt/network, /etc/libvirt/qemu/networks.",
        valueName: "dir"))
    var libvirtDirectories: [String] = []

    @Option(name: .customLong("ifcfg-dir"), help: ArgumentHelp("Directory of ifcfg-* files.", valueName: "dir"))
    var ifcfgDirectory: String?

    @Option(name: .customLong("proxmox-dir"), help: ArgumentHelp(
        "Proxmox VE's root: guest configs under <dir>/qemu-server and <dir>/lxc (and <dir>/nodes/<this host>/...). Default: /etc/pve.",
        valueName: "dir"))
    var proxmoxRoot: String?

    @Option(name: .customLong("proxmox-node"), help: ArgumentHelp(
        "This node's name in <proxmox-dir>/nodes/<name>, whose guest configs are read too. Default: the host name up to its first dot.",
        valueName: "name"))
    var proxmoxNode: String?

    @Option(name: .customLong("config-root"), help: ArgumentHelp("Read every network configuration (ifcfg, /etc/network/interfaces, NetworkManager keyfiles, systemd-networkd files, netplan YAML) under this directory, as if it were / (a captured host's tree).", valueName: "dir"))
    var configRoot: String?

    @Option(name: .customLong("interfaces-file"), help: ArgumentHelp("ifupdown's interfaces file (its source lines are followed). Default: /etc/network/interfaces.", valueName: "file"))
    var interfacesFile: String?

    @Option(name: .customLong("nm-dir"), help: ArgumentHelp("Directory of NetworkManager keyfiles (repeatable). Default: /etc, /run and /usr/lib NetworkManager/system-connections.", valueName: "dir"))
    var networkManagerDirectories: [String] = []

    @Option(name: .customLong("networkd-dir"), help: ArgumentHelp("Directory of systemd-networkd .netdev/.network files and their <file>.d/ drop-ins (repeatable, in precedence order). Default: /etc, /run, /usr/local/lib, /usr/lib and /lib systemd/network.", valueName: "dir"))
    var networkdDirectories: [String] = []

    @Option(name: .customLong("netplan-dir"), help: ArgumentHelp("Directory of netplan *.yaml files (repeatable, in precedence order: a file name in an earlier one shadows the same name in a later one). Default: /run/netplan, /etc/netplan, /lib/netplan.", valueName: "dir"))
    var netplanDirectories: [String] = []

    @Flag(name: .customLong("no-firewall"), help: "Do not read the host firewall (nft -j list ruleset); the firewall.* checks are then skipped.")
    var noFirewall = false

    /// Whether any source option was given (they make no sense with --from).
    var anyGiven: Bool {
        procfs != nil || sysfs != nil || noNetlink || !libvirtDirectories.isEmpty || ifcfgDirectory != nil || proxmoxRoot != nil || noFirewall
            || configRoot != nil || interfacesFile != nil || !networkManagerDirectories.isEmpty
            || !networkdDirectories.isEmpty || !netplanDirectories.isEmpty || proxmoxNode != nil
    }

    /// The given paths, the defaults for the others.
    var paths: HostPaths {
        var paths = HostPaths()
        if let procfs { paths.procfsRoot = procfs }
        if let sysfs { paths.sysfsRoot = sysfs }
        if !libvirtDirectories.isEmpty { paths.libvirtDirectories = libvirtDirectories }
        if let configRoot { paths.rootConfiguration(at: configRoot) }
        if let ifcfgDirectory { paths.ifcfgDirectory = ifcfgDirectory }
        if let proxmoxRoot { paths.proxmoxRoot = proxmoxRoot }
        if let proxmoxNode { paths.proxmoxNode = proxmoxNode }
        if let interfacesFile { paths.ifupdownInterfaces = interfacesFile }
        if !networkManagerDirectories.isEmpty { paths.networkManagerDirectories = networkManagerDirectories }
        if !networkdDirectories.isEmpty { paths.networkdDirectories = networkdDirectories }
        if !netplanDirectories.isEmpty { paths.netplanDirectories = netplanDirectories }
        return paths
    }

    /// Reads the live host. The firewall is the live kernel's, so it is read only when the
    /// topology is too (no --path.procfs / --path.sysfs tree).
    func collect() -> DiagSnapshot {
        var snapshot = SnapshotCollector(paths: paths, netlink: noNetlink ? nil : NetlinkDumpSource.make()).collect()
        if !noFirewall && procfs == nil && sysfs == nil {
            snapshot.facts.firewall = FirewallReader.read(runningAsRoot: snapshot.runningAsRoot)
        }
        return snapshot
    }
}
