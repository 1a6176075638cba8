import KVMNetMetrics
import KVMNetModel
import KVMNetLock

/// The last rendering of `/metrics`, reused while nothing changed: the state's version and
/// the VM table are the same. A scrape of an unchanged host then costs a copy, not a walk
/// of every link and FDB summary; the scrape duration is always fresh.
final class ScrapeCache: Sendable {
    private struct Entry {
        var version: UInt64
        var vms: [VMInterface]
        var before: [UInt8]
        var after: [UInt8]
    }

    private let entry = Locked<Entry?>(nil)

    /// The two parts for this version, rendering them with `render` when they are stale.
    func parts(version: UInt64, vms: [VMInterface], render: () -> (before: [UInt8], after: [UInt8])) -> ([UInt8], [UInt8]) {
        if let e = entry.withLock({ $0 }), e.version == version, e.vms == vms { return (e.before, e.after) }
        let (before, after) = render()
        entry.withLock { $0 = Entry(version: version, vms: vms, before: before, after: after) }
        return (before, after)
    }
}
