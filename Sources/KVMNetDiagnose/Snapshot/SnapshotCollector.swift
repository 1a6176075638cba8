#if canImport(Glibc)
import Glibc
#endif
import KVMNetModel
import KVMNetSources

/// Reads everything the diagnosis needs from the live host into a ``DiagSnapshot``:
/// the topology (netlink dump plus procfs, or sysfs plus procfs), libvirt XML, Proxmox VE
/// guest configs, ifcfg files, sysctls, routes, ARP entries, and the raw bonding and VLAN files.
public struct SnapshotCollector: Sendable {
    /// Where it reads (the real host's paths by default).
    public var paths: HostPaths
    /// The rtnetlink dump; `nil` reads links from sysfs (`--no-netlink`).
    public var netlink: (any LinkDumpSource)?

    public init(paths: HostPaths = HostPaths(), netlink: (any LinkDumpSource)? = nil) {
        self.paths = paths
        self.netlink = netlink
    }

    /// Reads the topology and everything else from the live host.
    public func collect() -> DiagSnapshot {
        var errors: [SourceError] = []
        let (topology, sources, addressSource) = readTopology(&errors)
        return collect(around: topology, topologySources: sources, addressSource: addressSource, errors: errors)
    }

    /// Reads the host facts around a topology the caller already has: the agent's
    /// `/diagnose` passes its in-memory model and its FDB move counters, so that
    /// `diagnose(_:request:)` answers exactly as `kvmnet-diag` would.
    /// - Parameters:
    ///   - topology: the model; its links' addresses are used when `addressSource` is given.
    ///   - topologySources: where it came from (`[.netlink, .procfs]` for the agent).
    ///   - addressSource: where `Link.addresses` came from; `nil` reads them from procfs.
    ///   - errors: read errors already met (they make the data incomplete).
    ///   - fdbMoves: MAC moves per bridge over `fdbMovesWindowSeconds`, for `bridge.mac_flapping`.
    public func collect(
        around topology: Topology, topologySources: [Source], addressSource: Source?,
        errors: [SourceError] = [], fdbMoves: [String: UInt64]? = nil, fdbMovesWindowSeconds: Double? = nil
    ) -> DiagSnapshot {
        var topology = topology
        var errors = errors
        var addressSource = addressSource
        let procNet = ProcNetReader(procfsRoot: paths.procfsRoot)
        let routes = procNet.routes()
        if let error = routes.error { errors.append(error) }
        if addressSource == nil {
            TopologyReading.applyAddresses(procNet.addresses(routes: routes.routes ?? []), to: &topology)
            addressSource = .procfs
        }
        let sysctls = Sysctl.read(procfsRoot: paths.procfsRoot)
        errors += sysctls.errors
        let libvirt = LibvirtReader.read(directories: paths.libvirtDirectories)
        errors += libvirt.errors
        let ifcfg = IfcfgReader.read(directory: paths.ifcfgDirectory)
        errors += ifcfg.errors
        let proxmox = ProxmoxReader.read(root: paths.proxmoxRoot, node: paths.proxmoxNode ?? HostIdentity.shortHostname)
        errors += proxmox.errors
        let config = ConfigReader.read(paths)
        errors += config.errors

        let facts = HostFacts(
            domains: libvirt.domains, networks: libvirt.networks,
            libvirtDirectories: libvirt.directories, proxmoxGuests: proxmox.guests,
            proxmoxDirectories: proxmox.directories, ifcfg: ifcfg.files,
            ifcfgDirectory: ifcfg.directory, configurations: config.network, sysctls: sysctls.values, routes: routes.routes,
            routesPath: routes.path, neighbours: procNet.neighbours(), addressSource: addressSource)
        return DiagSnapshot(
            takenAt: UTCTimestamp.iso8601(time(nil)), hostname: HostIdentity.hostname,
            runningAsRoot: HostIdentity.isRoot, topologySources: topologySources,
            procfsRoot: paths.procfsRoot, sysfsRoot: paths.sysfsRoot, topology: topology,
            facts: facts, files: libvirt.files + proxmox.files + ifcfg.texts + config.texts + procNet.rawBondingAndVLANFiles(),
            errors: errors, fdbMoves: fdbMoves, fdbMovesWindowSeconds: fdbMovesWindowSeconds)
    }

    /// The topology, the sources it came from, and where addresses came from (`nil`:
    /// still to be read from procfs).
    private func readTopology(_ errors: inout [SourceError]) -> (Topology, [Source], Source?) {
        if let netlink {
            switch netlink.dump() {
            case .success(let dump):
                let (topology, scanErrors) = TopologyReading.netlink(dump, procfsRoot: paths.procfsRoot,
                                                                     sysfsRoot: paths.sysfsRoot)
                errors += scanErrors
                return (topology, [netlink.source, .procfs], netlink.source)
            case .failure(let error):
                errors.append(error)
            }
        }
        let (topology, scanErrors) = TopologyReading.scan(procfsRoot: paths.procfsRoot, sysfsRoot: paths.sysfsRoot)
        errors += scanErrors
        return (topology, [.sysfs, .procfs], nil)
    }
}
