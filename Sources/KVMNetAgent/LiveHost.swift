import KVMNetModel
import KVMNetSources
import KVMNetState
import KVMNetWeb

/// What the agent knows of the host, for a diagnosis of it (`/diagnose`): its in-memory
/// topology, where that came from, where host files are read, and the MAC moves it
/// counted over its window.
public struct LiveHost: Sendable {
    public var topology: Topology
    /// `[.netlink, .procfs]`, or `[.sysfs, .procfs]` with `--no-netlink`.
    public var topologySources: [Source]
    /// Where `Link.addresses` came from; `nil`: the model has none (read them from procfs).
    public var addressSource: Source?
    public var paths: HostPaths
    /// MAC moves per bridge over the last ``fdbMovesWindowSeconds``; `nil` when the FDB
    /// is not known (no netlink and no `brforward`).
    public var fdbMoves: [String: UInt64]?
    public var fdbMovesWindowSeconds: Double?
}

/// Answers `/diagnose` from the agent's live host. The diagnosis is plugged in by the
/// kvmnet-agent executable (KVMNetDiagnoseEndpoint); without it `/diagnose` is not served.
public typealias DiagnoseHandler = @Sendable (WebRequest, LiveHost) -> WebResponse

extension Agent {
    /// The live host as it is now.
    func liveHost() -> LiveHost {
        let snapshot = state.snapshot()
        let moves = fdbMoveWindow.moves(current: snapshot.counters.fdbMoves, now: unixTimeNow())
        return LiveHost(
            topology: snapshot.topology,
            topologySources: config.netlink ? [.netlink, .procfs] : [.sysfs, .procfs],
            addressSource: config.netlink ? .netlink : nil,
            paths: config.paths,
            fdbMoves: snapshot.fdbKnown ? moves.counts : nil,
            fdbMovesWindowSeconds: snapshot.fdbKnown ? max(moves.seconds, config.rescanIntervalSeconds) : nil)
    }
}
