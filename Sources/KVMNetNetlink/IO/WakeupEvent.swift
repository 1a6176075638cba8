import CNetlink
import Glibc

/// An `eventfd` that wakes a thread blocked in `poll` (used to stop the monitor thread).
final class WakeupEvent: @unchecked Sendable {
    // Immutable after init; eventfd reads and writes are thread-safe.
    let fd: Int32

    init() throws(NetlinkError) {
        let fd = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        guard fd >= 0 else { throw .system(operation: "eventfd", errno: errno) }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Makes `fd` readable.
    func signal() {
        var one: UInt64 = 1
        while write(fd, &one, MemoryLayout<UInt64>.size) < 0 && errno == EINTR {}
    }

    /// Whether `signal` was called (does not reset: a stopped monitor stays stopped).
    var isSignalled: Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, 0) == 1 && (p.revents & Int16(POLLIN)) != 0
    }
}
