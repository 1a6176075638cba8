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
    private let wake: WakeupEvent
    private let handlers: MonitorHandlers
    private let stopping = Atomic<Bool>(false)
    let grantedReceiveBufferSize: Int
    var thread: NativeThread?
    /// The changes decoded from the datagram being read (monitor thread only).
    private var batch: [TopologyChange] = []

    init(receiveBufferSize: Int, handlers: MonitorHandlers) throws(NetlinkError) {
        let socket = try RouteSocket()
        try socket.subscribe([Self.linkGroup, Self.neighGroup])
        try socket.setReceiveBufferSize(receiveBufferSize)
        try socket.setNonBlocking()
        self.socket = socket
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
            let rc = socket.receiveOnce()
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

    /// Empties the receive queue, then lets the owner re-dump.
    ///
    /// The kernel reports `ENOBUFS` once and then stays silent (`NETLINK_S_CONGESTED`) until
    /// the queue has been read empty: events it drops in the meantime are not reported.
    /// A dump taken with the queue still full could thus miss changes made during the dump
    /// whose events are dropped silently. Emptying the queue first re-arms the report, and
    /// the queued messages are older than the dump that follows, which supersedes them.
    private func overrun() {
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
        if !shouldStop { handlers.onOverrun() }
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
