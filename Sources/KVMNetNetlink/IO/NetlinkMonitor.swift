import CNetlink
import Glibc
import KVMNetModel
import KVMNetLock

/// Follows the kernel's link, neighbour and address events (`RTNLGRP_LINK`,
/// `RTNLGRP_NEIGH`, `RTNLGRP_IPV4_IFADDR`, `RTNLGRP_IPV6_IFADDR`) on its own thread and
/// hands them over decoded.
///
/// ## Lifecycle
/// ```swift
/// let monitor = NetlinkMonitor(onChange: { state.apply($0) },
///                              onEvent: { state.recordNetlinkEvents(group: $0) },
///                              onOverrun: { state.resync(try NetlinkTopologyDump.dump(), reason: .overrun) })
/// try monitor.start(afterSubscribing: {
///     state.resync(try NetlinkTopologyDump.dump(), reason: .initial)
/// })
/// ...
/// monitor.stop()
/// ```
/// ``start(afterSubscribing:)`` subscribes first, then runs its closure on the calling
/// thread, then starts the thread that delivers events. Take the initial dump in that
/// closure: every change after the subscription is queued in the socket and delivered
/// after the dump was applied, so nothing falls between the dump and the events.
///
/// ## Handlers
/// All handlers run on the monitor thread, one at a time, in kernel order:
/// - `onChange` gets the changes decoded from one `recv` (one datagram), plus the links
///   re-read because of it (see below); messages that are not about devices or a bridge
///   FDB (ARP/ND neighbours, device-own `NTF_SELF` addresses) produce no change.
/// - `onEvent(group)` is called once per message received, with `link`, `neigh` or `addr`.
/// - `onOverrun` is called when the kernel dropped events because the receive buffer
///   was full (`recv` failed with `ENOBUFS`, libnl `NLE_NOMEM`). The state is then
///   unknown: re-dump inside the handler. Before calling it the monitor empties the
///   socket's queue (the kernel reports further losses only once the queue was read
///   empty, and what was queued is older than the dump). No further `onChange` is
///   delivered before the handler returns, and it runs in the socket's network
///   namespace, so a dump taken there is ordered after everything delivered before and
///   before everything after. If the handler throws (the dump failed), the monitor
///   empties the queue again and calls it again after 50 ms, 100 ms, ... up to 5 s.
/// - `onDecodeError` gets messages that do not decode; they are skipped.
///
/// ## Addresses
/// Link messages carry no IP addresses. The monitor keeps every link's addresses (read
/// when it subscribes, re-read after address events and overruns) and sets
/// ``Link/addresses`` in each update it delivers, as ``NetlinkTopologyDump`` does; when a
/// link's addresses change it delivers that link again, re-read (`RTM_GETLINK`).
///
/// ## Bridge port states
/// The bridge announces STP port state changes (listening, learning, forwarding,
/// blocking) only in `AF_BRIDGE` messages, which do not carry the rest of the link. On
/// each such message the monitor re-reads that link (`RTM_GETLINK` for its ifindex, on a
/// second socket in the same namespace) and delivers its full, current state in the same
/// batch, so port states never go stale.
///
/// ## Bridge VLANs
/// The same `AF_BRIDGE` `RTM_NEWLINK` (`br_ifinfo_notify`, sent on every `bridge vlan
/// add`/`del` of a port or of the bridge itself, and when a port joins) carries the link's
/// whole VLAN list: it is delivered as ``TopologyChange/bridgeVLANsUpdated(index:name:vlans:)``
/// ahead of the link's re-read state, and never as a ``TopologyChange/linkUpdated(_:)``.
/// An `AF_BRIDGE` `RTM_DELLINK` (the port left its bridge) delivers `vlans: nil`.
/// `RTNLGRP_BRVLAN` (`RTM_NEWVLAN`/`RTM_DELVLAN`, per-VLAN deltas that the kernel sends
/// for the same changes since 5.8) is not joined: the lists above are whole states, so a
/// lost one is repaired by the next, and an overrun re-dumps the VLANs with the rest.
///
/// `EINTR` from `poll` and `recvmsg` is retried. The socket lives in the network namespace
/// of the thread that calls ``start(afterSubscribing:)``.
public final class NetlinkMonitor: Sendable {
    /// 4 MiB. Without CAP_NET_ADMIN the kernel caps it at `net.core.rmem_max`
    /// (212,992 bytes on a default Debian).
    public static let defaultReceiveBufferSize = 4 << 20

    /// Requested kernel receive buffer for the event socket, in bytes.
    public let requestedReceiveBufferSize: Int
    private let handlers: MonitorHandlers
    private let session = Locked<MonitorSession?>(nil)

    /// - Parameters:
    ///   - receiveBufferSize: the socket's receive buffer. Above `net.core.rmem_max` it
    ///     takes CAP_NET_ADMIN (`SO_RCVBUFFORCE`); otherwise the kernel caps it. Small
    ///     values make overruns likely (tests use that).
    ///   - onChange: decoded changes of one receive.
    ///   - onEvent: the multicast group (`link`, `neigh`, `addr`) of each message received.
    ///   - onOverrun: events were lost; re-dump, and throw if that failed (it is retried).
    ///   - onDecodeError: a message was skipped because it does not decode.
    public init(
        receiveBufferSize: Int = NetlinkMonitor.defaultReceiveBufferSize,
        onChange: @escaping @Sendable ([TopologyChange]) -> Void,
        onEvent: @escaping @Sendable (_ group: String) -> Void = { _ in },
        onOverrun: @escaping @Sendable () throws -> Void,
        onDecodeError: @escaping @Sendable (NetlinkDecodeError) -> Void = { _ in }
    ) {
        self.requestedReceiveBufferSize = receiveBufferSize
        self.handlers = MonitorHandlers(onChange: onChange, onEvent: onEvent,
                                        onOverrun: onOverrun, onDecodeError: onDecodeError)
    }

    deinit { stop() }

    /// Subscribes, runs `afterSubscribing` on the calling thread, then starts delivering
    /// events from the monitor thread.
    ///
    /// - Parameter afterSubscribing: where to take and apply the initial dump.
    /// - Throws: ``NetlinkError`` when the socket cannot be set up or the monitor runs
    ///   already; whatever `afterSubscribing` throws (the monitor is then not started).
    public func start(afterSubscribing: () throws -> Void = {}) throws {
        let running = session.withLock { $0 != nil }
        if running { throw NetlinkError.alreadyStarted }
        let s = try MonitorSession(receiveBufferSize: requestedReceiveBufferSize, handlers: handlers)
        try afterSubscribing()
        // The thread never reads `s.thread`; others see it through the mutex below.
        s.thread = try NativeThread.spawn(name: "kvmnet-netlink") { s.run() }
        let claimed = session.withLock { current -> Bool in
            guard current == nil else { return false }
            current = s
            return true
        }
        if !claimed {
            s.requestStop()
            s.thread?.join()
            throw NetlinkError.alreadyStarted
        }
    }

    /// Stops the thread and closes the socket. Waits for a handler that is running to
    /// return, unless called from a handler (then the thread ends right after it).
    /// The monitor can be started again.
    public func stop() {
        guard let s = session.withLock({ current -> MonitorSession? in
            let s = current
            current = nil
            return s
        }) else { return }
        s.requestStop()
        if let t = s.thread, !t.isCurrent { t.join() }
    }

    /// The monitor thread, while running (tests interrupt it with signals).
    var threadID: pthread_t? { session.withLock { $0?.thread?.id } }

    /// Whether the monitor thread runs.
    public var isRunning: Bool { session.withLock { $0 != nil } }

    /// The receive buffer the kernel granted (0 when not running).
    public var effectiveReceiveBufferSize: Int {
        session.withLock { $0?.grantedReceiveBufferSize ?? 0 }
    }
}

/// The handlers given to ``NetlinkMonitor``.
struct MonitorHandlers: Sendable {
    let onChange: @Sendable ([TopologyChange]) -> Void
    let onEvent: @Sendable (String) -> Void
    let onOverrun: @Sendable () throws -> Void
    let onDecodeError: @Sendable (NetlinkDecodeError) -> Void
}
