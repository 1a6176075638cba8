import ArgumentParser
import KVMNetAgent
import KVMNetDiagnoseEndpoint
import KVMNetSources
import Logging

/// `kvmnet-agent`: Prometheus exporter for the networking of KVM hosts.
@main
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kvmnet-agent",
        abstract: "Prometheus exporter for KVM host networking: bonds, VLANs, bridges, VM taps.",
        version: KVMNetVersion.current)

    @Option(name: .customLong("web.listen-address"), help: "Address to listen on: HOST:PORT, [IPv6]:PORT or :PORT.")
    var listenAddress = ":\(AgentConfig.defaultPort)"

    @Option(name: .customLong("web.config.file"), help: ArgumentHelp(
        "Prometheus exporter-toolkit web config file: TLS and basic authentication; re-read when it changes.",
        valueName: "file"))
    var webConfigFile: String?

    @Option(name: .customLong("web.max-requests"), help: "Maximum number of requests answered at once; over it, 503. 0 means no limit.")
    var webMaxRequests = 40

    @Option(name: .customLong("web.max-series-per-family"), help: "Maximum number of series of one metric family in a scrape; the rest is left out, logged and counted in kvmnet_series_dropped_total. 0 means no limit.")
    var maxSeriesPerFamily = 10_000

    @Option(name: .customLong("web.telemetry-path"), help: "Path under which to expose metrics.")
    var telemetryPath = "/metrics"

    @Option(name: .customLong("path.procfs"), help: "procfs mountpoint.")
    var procfs = "/proc"

    @Option(name: .customLong("path.sysfs"), help: "sysfs mountpoint.")
    var sysfs = "/sys"

    @Flag(name: .customLong("no-netlink"), help: "Read only the given proc and sys trees, re-read at --scan.interval (for replaying a captured host).")
    var noNetlink = false

    @Option(name: .customLong("scan.interval"), help: "Seconds between re-reads of the trees (no-netlink) or of /proc/net/bonding (netlink).")
    var scanInterval: Double = 10

    @Option(name: .customLong("netlink.receive-buffer"), help: "Receive buffer of the netlink event socket, in bytes; a burst larger than it makes the agent re-read the kernel's state.")
    var netlinkReceiveBuffer: Int = 4 << 20

    @Option(name: .customLong("proxmox-dir"), help: "Proxmox VE's root, for kvmnet_vm_interface_info and /diagnose: guest configs under <dir>/qemu-server and <dir>/lxc. Default: /etc/pve.")
    var proxmoxRoot: String?

    @Option(name: .customLong("proxmox-node"), help: "This node's name in <proxmox-dir>/nodes/<name>, whose guest configs are read too. Default: the host name up to its first dot.")
    var proxmoxNode: String?

    @Option(name: .customLong("libvirt-dir"), help: "Directory of libvirt XML, for kvmnet_vm_interface_info and /diagnose (repeatable). Default: /run/libvirt/qemu (running domains), /etc/libvirt/qemu (defined), /run/libvirt/network, /etc/libvirt/qemu/networks.")
    var libvirtDirs: [String] = []

    @Option(name: .customLong("ifcfg-dir"), help: "Directory of ifcfg files for /diagnose.")
    var ifcfgDir = HostPaths.defaultIfcfgDirectory

    @Option(name: .customLong("netplan-dir"), help: "Directory of netplan *.yaml files for /diagnose (repeatable, in precedence order). Default: /run/netplan, /etc/netplan, /lib/netplan.")
    var netplanDirs: [String] = []

    @Option(name: .customLong("log.level"), help: "Only log messages with the given severity or above: debug, info, warn, error.")
    var logLevel = "info"

    func validate() throws {
        guard Logger.Level(cliName: logLevel) != nil else {
            throw ValidationError("--log.level must be one of debug, info, warn, error (got \"\(logLevel)\")")
        }
        guard telemetryPath.hasPrefix("/") else { throw ValidationError("--web.telemetry-path must start with /") }
        guard webMaxRequests >= 0 else { throw ValidationError("--web.max-requests must be 0 (no limit) or more") }
        guard maxSeriesPerFamily >= 0 else { throw ValidationError("--web.max-series-per-family must be 0 (no limit) or more") }
        guard scanInterval >= 1 else { throw ValidationError("--scan.interval must be at least 1 second") }
        guard netlinkReceiveBuffer >= 4096 else { throw ValidationError("--netlink.receive-buffer must be at least 4096 bytes") }
    }

    func run() async throws {
        let level = Logger.Level(cliName: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
        var config = AgentConfig()
        config.listenAddress = listenAddress
        config.telemetryPath = telemetryPath
        config.paths.procfsRoot = procfs
        config.paths.sysfsRoot = sysfs
        config.netlink = !noNetlink
        config.rescanIntervalSeconds = scanInterval
        config.webConfigFile = webConfigFile
        config.webMaxRequests = webMaxRequests
        config.maxSeriesPerFamily = maxSeriesPerFamily
        config.netlinkReceiveBufferSize = netlinkReceiveBuffer
        if !libvirtDirs.isEmpty { config.paths.libvirtDirectories = libvirtDirs }
        if let proxmoxRoot { config.paths.proxmoxRoot = proxmoxRoot }
        config.paths.proxmoxNode = proxmoxNode
        config.paths.ifcfgDirectory = ifcfgDir
        if !netplanDirs.isEmpty { config.paths.netplanDirectories = netplanDirs }
        // A replayed tree's guests: only from the directories given for it, never this host's.
        config.vmConfigsWithoutNetlink = noNetlink && (!libvirtDirs.isEmpty || proxmoxRoot != nil)
        let agent = Agent(config: config, logger: Logger(label: "kvmnet-agent"), diagnose: DiagnoseEndpoint.respond)
        try await agent.run()
    }
}

extension Logger.Level {
    init?(cliName: String) {
        switch cliName {
        case "debug": self = .debug
        case "info": self = .info
        case "warn", "warning": self = .warning
        case "error": self = .error
        default: return nil
        }
    }
}

