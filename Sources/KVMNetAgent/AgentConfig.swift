import KVMNetSources

/// How the agent runs; filled from the command line.
public struct AgentConfig: Sendable {
    /// Default listen port: above 10000 and used by no well-known exporter.
    public static let defaultPort = 10245

    public var listenAddress: String = ":\(AgentConfig.defaultPort)"
    public var telemetryPath: String = "/metrics"
    /// Where host facts are read (`--path.procfs`, `--path.sysfs`, `--libvirt-dir`,
    /// `--proxmox-dir`, `--proxmox-node`, `--ifcfg-dir`, `--netplan-dir`): kvmnet-diag's defaults, libvirt's domains and networks included.
    public var paths = HostPaths()
    /// Off: read only the given proc and sys trees (golden tests, replaying a captured host).
    public var netlink: Bool = true
    /// Without netlink, read the VM definitions too (`kvmnet_vm_interface_*`): set when
    /// `--libvirt-dir` or `--proxmox-dir` names the replayed host's; the defaults are this
    /// host's, not the tree's, and are never read then.
    public var vmConfigsWithoutNetlink: Bool = false
    /// Re-read of the trees in no-netlink mode, and of /proc/net/bonding in netlink mode.
    public var rescanIntervalSeconds: Double = 10
    /// exporter-toolkit web config file (TLS, basic auth); `nil`: plain HTTP, no auth.
    public var webConfigFile: String?
    /// Requests answered at once (`--web.max-requests`); over it, 503. 0: no cap.
    public var webMaxRequests: Int = 40
    /// Series per metric family in one scrape (`--web.max-series-per-family`); 0: no cap.
    public var maxSeriesPerFamily: Int = 10_000
    /// Re-read of /proc/net/bonding in netlink mode, while bonds exist (802.3ad state
    /// changes come with no netlink event).
    public var bondPollSeconds: Double = 1
    /// Kernel receive buffer of the netlink event socket (bytes).
    public var netlinkReceiveBufferSize: Int = 4 << 20
    public var version: String = KVMNetVersion.current

    public init() {}
}

/// The project's version.
public enum KVMNetVersion {
    public static let current = "0.1.0"
}
