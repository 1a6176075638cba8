import KVMNetState

extension Agent {
    /// Live source: netlink events through libnl-3, with procfs for what netlink lacks.
    /// Until the netlink monitor is wired, the trees are re-read at the rescan interval.
    func startNetlink() throws -> @Sendable () -> Void {
        scanTrees(reason: .initial)
        let interval = config.rescanIntervalSeconds
        let task = Task.detached { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
                if Task.isCancelled { break }
                scanTrees(reason: .poll)
            }
        }
        return { task.cancel() }
    }
}
