import CNetlink
import Glibc
import KVMNetModel
import Synchronization

/// One subscription of a ``NetlinkMonitor``: the event socket and the loop that reads it.
///
/// Created (and subscribed) on the thread that starts the monitor; from then on only the
/// monitor thread touches the socket. `thread` is written once, before the session is
/// published through the monitor's mutex.
final class MonitorSession: @unchecked Sendable {
    /// `RTNLGRP_LINK`, `RTNLGRP_NEIGH`.
    static let linkGroup: Int32 = 1
    static let neighGroup: Int32 = 3

    private let socket: RouteSocket
    /// For re-reading one link after a bridge port notification (same namespace).
    private let requests: RouteSocket
    private let wake: WakeupEvent
    private let handlers: MonitorHandlers
    private let stopping = Atomic<Bool>(false)
    let grantedReceiveBufferSize: Int
    var thread: NativeThread?
    /// The changes decoded from the datagram being read (monitor thread only).
    private var batch: [TopologyChange] = []
    /// Bridge ports whose `AF_BRIDGE` notification asks for a re-read (monitor thread only).
    private var portsToRefresh: [Int32] = []

    init(receiveBufferSize: Int, handlers: MonitorHandlers) throws(NetlinkError) {
        let socket = try RouteSocket()
        try socket.subscribe([Self.linkGroup, Self.neighGroup])
        try socket.setReceiveBufferSize(receiveBufferSize)
        try socket.setNonBlocking()
        self.socket = socket
        self.requests = try RouteSocket()
        self.wake = try WakeupEvent()
        self.handlers = handlers
        self.grantedReceiveBufferSize = socket.receiveBufferSize
    }

    /// Asks the loop to end; it does after the handler running now returns.
    func requestStop() {
        stopping.store(true, ordering: .releasing)
        wake.signal()
    }

    private var shouldStop: Bool { stopping.load(ordering: .acquiring) }

    /// The monitor thread's loop: wait for the socket or the stop signal, then drain.
    func run() {
        let handlers = self.handlers
        socket.sink.handle = { [unowned self] m in
            if let group = Self.group(of: m.type) { handlers.onEvent(group) }
            if let port = LinkMessageDecoder.bridgePortNotification(m) { self.portsToRefresh.append(port) }
            do throws(NetlinkDecodeError) {
                if let c = try NetlinkMessageDecoder.change(from: m) { self.batch.append(c) }
            } catch {
                handlers.onDecodeError(error)
            }
        }
        var fds = [pollfd(fd: socket.fd, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: wake.fd, events: Int16(POLLIN), revents: 0)]
        while !shouldStop {
            fds[0].revents = 0
            fds[1].revents = 0
            let n = poll(&fds, nfds_t(fds.count), -1)
            if n < 0 {
                if errno == EINTR { continue }
                // Cannot wait any more (EFAULT/ENOMEM): do not spin.
                usleep(100_000)
                continue
            }
            if shouldStop { break }
            if fds[0].revents != 0 { drain() }
        }
        socket.sink.handle = { _ in }
    }

    /// Reads datagrams until none is left, delivering one batch per datagram.
    private func drain() {
        // Bounded, so that a stop request is seen during an endless burst.
        for _ in 0..<256 {
            if shouldStop { return }
            batch.removeAll(keepingCapacity: true)
            portsToRefresh.removeAll(keepingCapacity: true)
            let rc = socket.receiveOnce()
            refreshPorts()
            if !batch.isEmpty { handlers.onChange(batch) }
            switch rc {
            case 0, -NLE_INTR:
                continue
            case -NLE_AGAIN:
                return
            case -NLE_NOMEM:
                // ENOBUFS: the kernel dropped messages; the socket goes on working.
                overrun()
            default:
                // Anything else may also have lost events: resync rather than guess.
                overrun()
                return
            }
        }
    }

    /// Re-reads the links named by `AF_BRIDGE` port notifications and adds their full,
    /// current state to the batch. The port state in the device-level message goes stale
    /// otherwise: STP moves a port from listening to learning to forwarding with no
    /// `AF_UNSPEC` message at all. A port that vanished meanwhile is skipped (its
    /// `RTM_DELLINK` follows).
    private func refreshPorts() {
        var seen: Set<Int32> = []
        for index in portsToRefresh where seen.insert(index).inserted {
            let updates = try? requests.dump(.link(index: index), attempts: 1, onDecodeError: handlers.onDecodeError) {
                m throws(NetlinkDecodeError) in try LinkMessageDecoder.change(from: m)
            }
            batch += updates ?? []
        }
    }

    /// Empties the receive queue, then lets the owner re-dump; retries until the owner's
    /// handler succeeds (or the monitor stops), waiting 50 ms, 100 ms, ... up to 5 s.
    ///
    /// The kernel reports `ENOBUFS` once and then stays silent (`NETLINK_S_CONGESTED`) until
    /// the queue has been read empty: events it drops in the meantime are not reported.
    /// A dump taken with the queue still full could thus miss changes made during the dump
    /// whose events are dropped silently. Emptying the queue first re-arms the report, and
    /// the queued messages are older than the dump that follows, which supersedes them.
    private func overrun() {
        var delayMs: Int32 = 50
        while !shouldStop {
            discardQueued()
            if shouldStop { return }
            do {
                try handlers.onOverrun()
                return
            } catch {
                // The owner could not re-read the kernel (e.g. a dump interrupted again and
                // again during a storm): its state is still unknown, so try again.
                waitForStop(milliseconds: delayMs)
                delayMs = min(delayMs * 2, 5_000)
            }
        }
    }

    /// Reads and drops everything queued (counting it per group).
    private func discardQueued() {
        let handlers = self.handlers
        let decode = socket.sink.handle
        socket.sink.handle = { m in
            if let group = Self.group(of: m.type) { handlers.onEvent(group) }
        }
        var discarded = 0
        while !shouldStop, discarded < 1_000_000 {
            let rc = socket.receiveOnce()
            if rc == -NLE_AGAIN { break }
            if rc != 0 && rc != -NLE_NOMEM && rc != -NLE_INTR { break }
            discarded += 1
        }
        socket.sink.handle = decode
    }

    /// Sleeps, waking early when the monitor is asked to stop.
    private func waitForStop(milliseconds: Int32) {
        var p = pollfd(fd: wake.fd, events: Int16(POLLIN), revents: 0)
        _ = poll(&p, 1, milliseconds)
    }

    /// The multicast group a message type is sent to, as metrics label it.
    static func group(of type: UInt16) -> String? {
        switch type {
        case RouteMessageType.newLink, RouteMessageType.delLink: return "link"
        case RouteMessageType.newNeigh, RouteMessageType.delNeigh: return "neigh"
        default: return nil
        }
    }
}
