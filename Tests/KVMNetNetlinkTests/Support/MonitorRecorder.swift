import KVMNetModel
import KVMNetLock

/// Collects what a ``NetlinkMonitor`` delivers, for assertions from the test thread.
final class MonitorRecorder: Sendable {
    struct Log {
        var batches: [[TopologyChange]] = []
        var events: [String: Int] = [:]
        var overruns = 0
        var resyncs = 0
        var resyncErrors: [String] = []
        var decodeErrors: [String] = []
    }

    private let log = Locked(Log())

    func record(_ changes: [TopologyChange]) { log.withLock { $0.batches.append(changes) } }
    func recordEvent(_ group: String) { log.withLock { $0.events[group, default: 0] += 1 } }
    func recordOverrun() { log.withLock { $0.overruns += 1 } }
    func recordResync() { log.withLock { $0.resyncs += 1 } }
    func recordResyncError(_ e: any Error) { log.withLock { $0.resyncErrors.append("\(e)") } }
    func recordDecodeError(_ e: any Error) { log.withLock { $0.decodeErrors.append("\(e)") } }

    var snapshot: Log { log.withLock { $0 } }

    /// Operational states `device` went through in the events, repeats collapsed.
    func operStates(of device: String) -> [OperState] {
        var out: [OperState] = []
        for batch in snapshot.batches {
            for case let .linkUpdated(u) in batch where u.link.name == device && out.last != u.link.operState {
                out.append(u.link.operState)
            }
        }
        return out
    }

    /// The last update seen for `device`.
    func lastUpdate(of device: String) -> LinkUpdate? {
        var last: LinkUpdate?
        for batch in snapshot.batches {
            for case let .linkUpdated(u) in batch where u.link.name == device { last = u }
        }
        return last
    }

    var fdbChanges: [TopologyChange] {
        snapshot.batches.flatMap { $0 }.filter {
            switch $0 {
            case .fdbAdded, .fdbRemoved: return true
            default: return false
            }
        }
    }
}
