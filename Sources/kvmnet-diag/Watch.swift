import ArgumentParser
import KVMNetDiagnose
import KVMNetModel
import KVMNetSources
import KVMNetWatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Set by SIGINT/SIGTERM while watching: the loop stops, detaches and reports.
private let stopRequested = Atomic<Bool>(false)

/// `kvmnet-diag watch A B [--seconds N]`: where the kernel drops the frames between A and B.
struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Watch the kernel handle the frames between A and B, and say where and why it drops them (root, BPF).",
        discussion: """
            Attaches a BPF program to skb:kfree_skb, net:netif_receive_skb and \
            net:net_dev_start_xmit for N seconds while you ping, keeps only frames between \
            A and B (their MACs and IPv4 addresses), and prints each drop with its device, \
            hop of the traced path, kernel drop reason and function, joined with the static \
            diagnosis. Needs root, a kernel with BTF (CONFIG_DEBUG_INFO_BTF) and drop \
            reasons (Linux 5.17 or later). Exit codes: 0 no frame dropped, 1 frames dropped, \
            3 the kernel cannot be watched, 64 usage error. docs/watch.md.
              kvmnet-diag watch vm1 vm2              (and ping vm2 from vm1 meanwhile)
              kvmnet-diag watch vm1 vm2 --seconds 30 --json
            """)

    @Argument(help: "First endpoint (domain, interface, MAC or IP).")
    var from: String

    @Argument(help: "Second endpoint.")
    var to: String

    @Option(help: "How long to watch (seconds; Ctrl-C stops early).")
    var seconds: Double = 10

    @Flag(help: "Print the report as JSON (docs/watch.md).")
    var json = false

    @OptionGroup var sources: SourceOptions

    /// The most events kept (a flood between the two ends is summarised from these).
    static let eventLimit = 2_000_000

    func validate() throws {
        guard seconds > 0, seconds <= 3600 else { throw ValidationError("--seconds must be between 0 and 3600") }
    }

    func run() throws {
        let snapshot = sources.collect()
        let plan: WatchPlan
        switch WatchPlan.make(snapshot: snapshot, from: from, to: to) {
        case .success(let made): plan = made
        case .failure(let failure):
            Terminal.printError("kvmnet-diag watch: \(failure)")
            throw ExitCode(64)
        }
        let watcher: FrameWatcher
        do {
            watcher = try FrameWatcher(filter: WatchFilter(macs: plan.macs, ipv4: plan.ipv4))
        } catch {
            Terminal.printError("kvmnet-diag watch: \(error)")
            throw ExitCode(3)
        }
        signal(SIGINT) { _ in stopRequested.store(true, ordering: .relaxed) }
        signal(SIGTERM) { _ in stopRequested.store(true, ordering: .relaxed) }
        Terminal.printError("kvmnet-diag: watching \(plan.from.displayName) <-> \(plan.to.displayName) for \(WatchAnalysis.format(seconds)) s (Ctrl-C stops early)...")

        let start = Self.monotonicNanoseconds()
        let deadline = start + UInt64(seconds * 1e9)
        var events: [FrameEvent] = []
        var notes: [String] = []
        var overflow = 0
        var failure: WatchError?
        while !stopRequested.load(ordering: .relaxed) {
            let now = Self.monotonicNanoseconds()
            guard now < deadline else { break }
            let wait = Int32(min(100, max(1, (deadline - now) / 1_000_000)))
            do throws(WatchError) {
                _ = try watcher.poll(timeoutMilliseconds: wait) { event in
                    if events.count < Self.eventLimit { events.append(event) } else { overflow += 1 }
                }
            } catch {
                failure = error
                break
            }
        }
        let watched = Double(Self.monotonicNanoseconds() - start) / 1e9
        let lost = watcher.lostRecords
        let programIDs = watcher.programIDs
        if watcher.undecodableRecords > 0 { notes.append("\(watcher.undecodableRecords) records could not be decoded (a BPF program of another kvmnet version?)") }
        watcher.detach()
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        if let failure {
            Terminal.printError("kvmnet-diag watch: \(failure)")
            throw ExitCode(3)
        }
        if overflow > 0 { notes.append("\(overflow) events beyond the first \(Self.eventLimit) were not kept: the counts are lower bounds") }

        var symbols: [UInt64: KernelSymbols.Symbol] = [:]
        let locations = Set(events.filter { $0.kind == .drop }.map(\.location))
        if !locations.isEmpty {
            // procfs reports size 0: read to EOF (FileReader), not by the file's size.
            switch FileReader.readBytes(snapshot.procfsRoot + "/kallsyms", limit: 256 << 20) {
            case .success(let text):
                do { symbols = try KernelSymbols.symbolize(locations, in: text) } catch { notes.append("drop locations not named: \(error)") }
            case .failure(let error):
                notes.append("drop locations not named: \(error)")
            }
        }
        let input = WatchAnalysis.Input(
            events: events, seconds: watched, startNanoseconds: start,
            hostNetworkNamespace: Self.networkNamespaceInode(), reasonNames: watcher.dropReasons, symbols: symbols,
            lostRecords: lost, notes: notes, programIDs: programIDs)
        let report = WatchAnalysis(plan: plan).report(input)
        if json {
            Terminal.printJSON(try report.jsonBytes())
        } else {
            print(WatchTextRenderer(colour: Terminal.stdoutWantsColour).render(report), terminator: "")
        }
        throw ExitCode(report.exitCode)
    }

    static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Inode of this process's network namespace (the snapshot's ifindexes are of it); 0 unknown.
    static func networkNamespaceInode() -> UInt32 {
        var st = stat()
        guard stat("/proc/self/ns/net", &st) == 0 else { return 0 }
        return UInt32(truncatingIfNeeded: st.st_ino)
    }
}
