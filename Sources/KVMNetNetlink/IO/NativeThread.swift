import CNetlink
import Glibc

/// A joinable POSIX thread running one closure. It starts in the network namespace of the
/// thread that creates it (namespaces are per thread on Linux).
struct NativeThread: Sendable {
    let id: pthread_t

    private final class Start {
        let name: String
        let body: @Sendable () -> Void
        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }

    /// Starts `body` on a new thread named `name` (at most 15 bytes are kept).
    static func spawn(name: String, _ body: @escaping @Sendable () -> Void) throws(NetlinkError) -> NativeThread {
        let start = Unmanaged.passRetained(Start(name: name, body: body)).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { arg in
            guard let arg else { return nil }
            let start = Unmanaged<Start>.fromOpaque(arg).takeRetainedValue()
            _ = kvmnet_set_thread_name(start.name)
            start.body()
            return nil
        }, start)
        guard rc == 0 else {
            Unmanaged<Start>.fromOpaque(start).release()
            throw .system(operation: "pthread_create", errno: rc)
        }
        return NativeThread(id: tid)
    }

    /// Waits for the thread to end.
    func join() { _ = pthread_join(id, nil) }

    /// Whether the caller runs on this thread.
    var isCurrent: Bool { pthread_equal(id, pthread_self()) != 0 }
}
