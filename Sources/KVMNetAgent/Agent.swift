import KVMNetMetrics
import KVMNetModel
import KVMNetSources
import KVMNetState
import KVMNetWeb
import Logging
import KVMNetLock
#if canImport(Glibc)
import Glibc
#endif

/// The agent: sources feed one ``HostState``; HTTP routes render it.
///
/// The scrape path only renders memory. Sources run on their own: netlink events as they
/// come, procfs re-reads when a bond changes and at ``AgentConfig/rescanIntervalSeconds``.
public final class Agent: Sendable {
    public let config: AgentConfig
    public let state: HostState
    /// The cap on series per family (`--web.max-series-per-family`).
    let seriesGuard: SeriesGuard
    let logger: Logger
    let renderer: MetricsRenderer
    let fdbMoveWindow = FDBMoveWindow()
    let scrapeCache = ScrapeCache()
    let memoryTrimmer = MemoryTrimmer()
    /// Running libvirt domains' taps (live mode): `kvmnet_vm_interface_info`.
    let libvirtDomains: LibvirtDomains
    /// `/diagnose` and `/api/v1/snapshot`, when a diagnosis is plugged in (the handler
    /// tells them apart by the request's path).
    let diagnose: DiagnoseHandler?
    /// Bridges whose missing VLAN lists (`--no-netlink`) were logged already: said once.
    let reportedUnavailable = Locked<Set<String>>([])

    public init(config: AgentConfig, logger: Logger, state: HostState = HostState(), diagnose: DiagnoseHandler? = nil) {
        self.config = config
        self.logger = logger
        self.state = state
        self.diagnose = diagnose
        self.seriesGuard = SeriesGuard(maxSeriesPerFamily: config.maxSeriesPerFamily) { [logger] change in
            if change.dropped > 0 {
                logger.warning("metric family over --web.max-series-per-family: series left out of every scrape (kvmnet_series_dropped_total)",
                               metadata: ["family": "\(change.family)", "series": "\(change.series)", "limit": "\(change.limit)",
                                          "left_out": "\(change.dropped)"])
            } else {
                logger.info("metric family back under --web.max-series-per-family", metadata: [
                    "family": "\(change.family)", "series": "\(change.series)", "limit": "\(change.limit)"])
            }
        }
        self.libvirtDomains = LibvirtDomains(directories: config.paths.libvirtDirectories, proxmoxRoot: config.paths.proxmoxRoot,
                                             proxmoxNode: config.paths.proxmoxNode, state: state, logger: logger)
        var renderer = MetricsRenderer.standard(version: config.version, netlink: config.netlink)
        renderer.collectors.append(VMInterfaceCollector(table: libvirtDomains.table))
        self.renderer = renderer
        state.registerSources(Source.kernel.filter { config.netlink || $0 != .netlink })
    }

    // MARK: HTTP

    /// Answers one HTTP request.
    public func handle(_ request: WebRequest) -> WebResponse {
        switch request.path {
        case config.telemetryPath:
            let start = monotonicSeconds()
            // The version is read before the snapshot: a change in between only makes the
            // next scrape render again.
            let version = state.version
            let (before, after) = scrapeCache.parts(version: version, vms: libvirtDomains.table.interfaces) {
                defer { memoryTrimmer.request() }
                return renderer.renderParts(state.snapshot(), seriesGuard: seriesGuard)
            }
            let duration = ExpositionRenderer.renderBytes([ScrapeDuration.family(monotonicSeconds() - start)])
            // One allocation for the body: the parts are hundreds of KB on a big host.
            var body: [UInt8] = []
            body.reserveCapacity(before.count + duration.count + after.count)
            body += before
            body += duration
            body += after
            return WebResponse(status: 200, contentType: ExpositionRenderer.contentType, body: body)
        case "/":
            return WebResponse(status: 200, contentType: "text/html; charset=utf-8",
                               text: LandingPage.html(telemetryPath: config.telemetryPath, version: config.version))
        case "/diagnose":
            guard let diagnose else { return .notFound(request.path) }
            return diagnose(request, liveHost())
        case "/-/healthy", "/-/ready":
            return WebResponse(status: 200, contentType: "text/plain; charset=utf-8", text: "OK\n")
        case let path where path == "/api" || path.hasPrefix("/api/"):
            return handleAPI(request)
        default:
            return .notFound(request.path)
        }
    }

    // MARK: sources

    /// Reads the proc and sys trees into the state (the no-netlink source).
    public func scanTrees(reason: ResyncReason) {
        let result = TopologyScanner(procfsRoot: config.paths.procfsRoot, sysfsRoot: config.paths.sysfsRoot).scan()
        for e in result.errors {
            logger.warning("source error", metadata: ["source": "\(e.source)", "path": "\(e.path)", "error": "\(e.message)"])
            state.recordSourceError(e.source)
        }
        for n in result.unavailable where reportedUnavailable.withLock({ $0.insert(n.path).inserted }) {
            logger.info("data not available from sysfs", metadata: ["source": "\(n.source)", "path": "\(n.path)", "detail": "\(n.message)"])
        }
        state.setBondSupplements(result.bondSupplements)
        state.setVLANSupplements(result.vlanSupplements)
        state.resync(result.dump, fdbKnown: result.fdbKnown, reason: reason)
        sampleFDBMoves()
    }

    /// Samples the MAC-move counters for `/diagnose`'s window.
    func sampleFDBMoves() {
        fdbMoveWindow.record(state.snapshot().counters.fdbMoves, at: unixTimeNow())
    }

    /// Re-reads `/proc/net/bonding/<bond>` for the given bonds (what netlink lacks).
    public func refreshBondProcfs(_ bonds: Set<String>?) {
        var errors: [SourceError] = []
        var supplements: [String: Bond] = [:]
        if let bonds {
            let reader = BondingProcReader(procfsRoot: config.paths.procfsRoot)
            let current = state.snapshot().topology.bonds
            for name in current.keys {
                if bonds.contains(name) {
                    switch reader.read(bond: name) {
                    case .success(let f): supplements[name] = f.bond
                    case .failure(let e): errors.append(e)
                    }
                }
            }
        } else {
            supplements = TopologyScanner(procfsRoot: config.paths.procfsRoot, sysfsRoot: config.paths.sysfsRoot).readBonding(&errors)
        }
        for e in errors {
            logger.warning("source error", metadata: ["source": "\(e.source)", "path": "\(e.path)", "error": "\(e.message)"])
            state.recordSourceError(e.source)
        }
        if bonds == nil { state.setBondSupplements(supplements) } else { state.mergeBondSupplements(supplements) }
    }
}

/// Seconds from a monotonic clock.
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
