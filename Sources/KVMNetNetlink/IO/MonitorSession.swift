import CNetlink
import Glibc
import KVMNetModel
import Synchronization

/// One subscription of a ``NetlinkMonitor``: the event socket and the loop that reads it.
///
/// Created (and subscribed) on the thread that starts the monitor; from then on only the
/// monitor thread touches the sockets and the mutable fields. `thread` is written once,
/// before the session is published through the monitor's mutex.
final class MonitorSession: @unchecked Sendable {
    /// `RTNLGRP_LINK`, `RTNLGRP_NEIGH`, `RTNLGRP_IPV4_IFADDR`, `RTNLGRP_IPV6_IFADDR`.
    static let groups: [Int32] = [1, 3, 5, 9]

    private let socket: RouteSocket
    /// For re-reading links and addresses (same namespace as `socket`).
    private let requests: RouteSocket
    private let wake: WakeupEvent
    private let handlers: MonitorHandlers
    private let stopping = Atomic<Bool>(false)
    let grantedReceiveBufferSize: Int
    var thread: NativeThread?

    /// The changes decoded from the datagram being read.
    private var batch: [TopologyChange] = []
    /// Bridge ports whose `AF_BRIDGE` notification asks for a re-read.
    private var portsToRefresh: [Int32] = []
    /// Each bridge's `vlan_filtering` as last seen in an event (-1: not said), by ifindex.
    private var bridgeFiltering: [Int32: Int8] = [:]
    /// Bridges that are new to the session or whose `vlan_filtering` changed: their own
    /// ("self") VLANs are read with an `AF_BRIDGE` dump, since the kernel sends no
    /// notification for the default VLAN a bridge gets when it is created (seen in the
    /// kernel lab: a new VLAN-aware bridge's `self` VLAN 1 reached no event).
    private var bridgesToRead: Set<Int32> = []
    /// Set by address events: re-read the addresses once the queue is empty.
    private var addressesChanged = false
    private var addressBook = AddressBook()

    init(receiveBufferSize: Int, handlers: MonitorHandlers) throws(NetlinkError) {
        let socket = try RouteSocket()
        try socket.subscribe(Self.groups)
        try socket.setReceiveBufferSize(receiveBufferSize)
        try socket.setNonBlocking()
        self.socket = socket
        self.requests = try RouteSocket()
        self.wake = try WakeupEvent()
        self.handlers = handlers
        self.grantedReceiveBufferSize = socket.receiveBufferSize
        // After subscribing: an address change from now on is also an event.
        _ = try addressBook.reload(using: requests, onDecodeError: handlers.onDecodeError)
    }

    /// Asks the loop to end; it does after the handler running now returns.
    func requestStop() {
        stopping.store(true, ordering: .releasing)
        wake.signal()
    }

    private var shouldStop: Bool { stopping.load(ordering: .acquiring) }

    /// The monitor thread's loop: wait for the socket or the stop signal, then drain.
    func run() {
        socket.sink.handle = { [unowned self] m in self.receive(m) }
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

    /// One message of the datagram being read.
    private func receive(_ m: MessageView) {
        if let group = Self.group(of: m.type) { handlers.onEvent(group) }
        if m.type == RouteMessageType.newAddr || m.type == RouteMessageType.delAddr {
            addressesChanged = true
            return
        }
        // An AF_BRIDGE RTM_NEWLINK decodes to the link's VLANs only; the rest of the link
        // (STP port state included) is re-read after the datagram.
        if let port = LinkMessageDecoder.bridgePortNotification(m) { portsToRefresh.append(port) }
        do throws(NetlinkDecodeError) {
            if let c = try NetlinkMessageDecoder.change(from: m) { batch.append(c) }
        } catch {
            handlers.onDecodeError(error)
        }
    }

    /// Reads datagrams until none is left, delivering one batch per datagram; then
    /// delivers the links whose addresses changed.
    private func drain() {
        // Bounded, so that a stop request is seen during an endless burst.
        for _ in 0..<256 {
            if shouldStop { return }
            batch.removeAll(keepingCapacity: true)
            portsToRefresh.removeAll(keepingCapacity: true)
            let rc = socket.receiveOnce()
            var seen: Set<Int32> = []
            for index in portsToRefresh where seen.insert(index).inserted { batch += fetch(index) }
            noteBridges(batch)
            batch += readBridgeVLANs()
            deliver(&batch)
            switch rc {
            case 0, -NLE_INTR:
                continue
            case -NLE_AGAIN:
                refreshAddresses()
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
        refreshAddresses()
    }

    private func deliver(_ changes: inout [TopologyChange]) {
        guard !changes.isEmpty else { return }
        addressBook.fill(&changes)
        handlers.onChange(changes)
    }

    /// The full, current state of one link (`RTM_GETLINK`); nothing if it vanished
    /// meanwhile (its `RTM_DELLINK` follows).
    ///
    /// Used after `AF_BRIDGE` port notifications: STP moves a port from listening to
    /// learning to forwarding with no device-level (`AF_UNSPEC`) message at all, so the
    /// port state would go stale otherwise.
    private func fetch(_ index: Int32) -> [TopologyChange] {
        let updates = try? requests.dump(.link(index: index), attempts: 1, onDecodeError: handlers.onDecodeError) {
            m throws(NetlinkDecodeError) in try LinkMessageDecoder.change(from: m)
        }
        return updates ?? []
    }

    /// Flags the bridges of `changes` that are new or changed `vlan_filtering`; forgets
    /// removed ones.
    private func noteBridges(_ changes: [TopologyChange]) {
        for change in changes {
            switch change {
            case .linkUpdated(let u):
                guard let bridge = u.bridge else { continue }
                let index = Int32(truncatingIfNeeded: u.link.index)
                let filtering: Int8 = bridge.vlanFiltering.map { $0 ? 1 : 0 } ?? -1
                if bridgeFiltering.updateValue(filtering, forKey: index) != filtering { bridgesToRead.insert(index) }
            case .linkRemoved(let index, _):
                let i = Int32(truncatingIfNeeded: index)
                bridgeFiltering[i] = nil
                bridgesToRead.remove(i)
            default:
                continue
            }
        }
    }

    /// The own VLANs of the flagged bridges, from one `AF_BRIDGE` dump; they stay flagged
    /// (read after the next datagram) when the dump fails.
    private func readBridgeVLANs() -> [TopologyChange] {
        guard !bridgesToRead.isEmpty, !shouldStop else { return [] }
        let wanted = bridgesToRead
        guard let changes = try? requests.dump(.bridgeVLANs, attempts: 3, onDecodeError: handlers.onDecodeError, decode: {
            m throws(NetlinkDecodeError) -> TopologyChange? in
            guard let change = try LinkMessageDecoder.change(from: m),
                  case let .bridgeVLANsUpdated(index, _, _) = change,
                  wanted.contains(Int32(truncatingIfNeeded: index)) else { return nil }
            return change
        }) else { return [] }
        bridgesToRead.removeAll()
        return changes
    }

    /// After address events: re-reads all addresses (one dump, the kernel's order) and
    /// delivers the links whose list changed.
    private func refreshAddresses() {
        guard addressesChanged, !shouldStop else { return }
        guard let changed = try? addressBook.reload(using: requests, onDecodeError: handlers.onDecodeError) else {
            return  // Stays flagged: tried again after the next datagram.
        }
        addressesChanged = false
        var updates: [TopologyChange] = []
        for index in changed.sorted() { updates += fetch(Int32(truncatingIfNeeded: index)) }
        deliver(&updates)
    }

    /// Empties the receive queue, then lets the owner re-dump; retries until the owner's
    /// handler succeeds (or the monitor stops), waiting 50 ms, 100 ms, ... up to 5 s.
    ///
    /// The kernel reports `ENOBUFS` once and then stays silent (`NETLINK_S_CONGESTED`) until
    /// the queue has been read empty: events it drops in the meantime are not reported.
    /// A dump taken with the queue still full could thus miss changes made during the dump
    /// whose events are dropped silently. Emptying the queue first re-arms the report, and
    /// the queued messages are older than the dump that follows, which supersedes them.
    /// Address events may have been lost too: the address book is re-read first.
    private func overrun() {
        var delayMs: Int32 = 50
        while !shouldStop {
            discardQueued()
            if shouldStop { return }
            addressesChanged = (try? addressBook.reload(using: requests, onDecodeError: handlers.onDecodeError)) == nil
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
        socket.sink.handle = { m in
            if let group = Self.group(of: m.type) { handlers.onEvent(group) }
        }
        defer { socket.sink.handle = { [unowned self] m in self.receive(m) } }
        var discarded = 0
        while !shouldStop, discarded < 1_000_000 {
            let rc = socket.receiveOnce()
            if rc == -NLE_AGAIN { break }
            if rc != 0 && rc != -NLE_NOMEM && rc != -NLE_INTR { break }
            discarded += 1
        }
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
        case RouteMessageType.newAddr, RouteMessageType.delAddr: return "addr"
        default: return nil
        }
    }
}
