import Dispatch
import KVMNetState
import KVMNetWeb
import Logging
#if canImport(Glibc)
import CLibcShim
import Glibc
#endif

extension Agent {
    /// Starts the sources and the HTTP server, and serves until SIGINT or SIGTERM.
    public func run() async throws {
        limitMallocArenas()
        var limits = WebLimits()
        limits.maxRequests = config.webMaxRequests
        let server = try WebServer(listenAddress: config.listenAddress, webConfigFile: config.webConfigFile, limits: limits,
                                   logger: logger) { [self] in handle($0) }
        PrivilegeReport.probe(config).log(logger)
        let stopLiveSource = try startSources()
        let (channel, port) = try await server.start()
        logger.info("listening", metadata: ["address": "\(server.host):\(port)", "metrics": "\(config.telemetryPath)",
                                            "netlink": "\(config.netlink)"])
        await waitForTerminationSignal()
        logger.info("shutting down")
        stopLiveSource()
        try? await channel.close()
        await server.shutdown()
    }

    /// Starts reading the host; returns a function that stops it.
    func startSources() throws -> @Sendable () -> Void {
        if config.netlink {
            return try startNetlink()
        }
        scanTrees(reason: .initial)
        if config.vmConfigsWithoutNetlink {
            // Read before the first scrape can come, then at each re-scan.
            state.registerSources([.libvirt])
            libvirtDomains.refresh()
        }
        let interval = config.rescanIntervalSeconds
        let task = Task.detached { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
                if Task.isCancelled { break }
                scanTrees(reason: .poll)
                if config.vmConfigsWithoutNetlink { libvirtDomains.rescan() }
            }
        }
        return { task.cancel() }
    }
}

/// Waits until the process receives SIGINT or SIGTERM.
func waitForTerminationSignal() async {
    await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
        let queue = DispatchQueue(label: "kvmnet.signals")
        let once = SignalOnce(cont)
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler { once.fire() }
            source.resume()
            SignalOnce.keep(source)
        }
    }
}

/// Resumes a continuation exactly once, from whichever signal comes first.
final class SignalOnce: @unchecked Sendable {
    private var cont: CheckedContinuation<Void, Never>?
    private let lock = DispatchQueue(label: "kvmnet.signal-once")
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    init(_ cont: CheckedContinuation<Void, Never>) { self.cont = cont }

    static func keep(_ s: DispatchSourceSignal) { sources.append(s) }

    func fire() {
        lock.sync {
            cont?.resume()
            cont = nil
        }
    }
}

/// Keeps glibc's malloc from holding memory the agent no longer uses:
/// - at most two arenas: each thread (event loop, route pool, netlink, tasks) would
///   otherwise get an arena of its own, and resident memory grows with threads rather
///   than with data;
/// - a fixed mmap threshold of 256 KB: glibc otherwise raises it to the size of the
///   largest block freed (up to 32 MB), so after a resync frees the old FDB tables the
///   next ones come from the heap and stay resident after they are freed too.
/// Measured by scripts/bench/run.py (docs/performance.md).
func limitMallocArenas() {
    #if canImport(Glibc)
    _ = mallopt(M_ARENA_MAX, 2)
    _ = mallopt(M_MMAP_THRESHOLD, 256 * 1024)
    #endif
}
