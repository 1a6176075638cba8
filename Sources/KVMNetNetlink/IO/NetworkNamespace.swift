import CNetlink
import Glibc

/// Network namespaces of threads. Sockets belong to the namespace of the thread that
/// creates them, so reading another namespace means: a thread that entered it creates
/// the socket (then any thread may use it).
enum NetworkNamespace {
    /// `CLONE_NEWNET`.
    static let cloneNewNet: Int32 = 0x4000_0000

    /// Moves the calling thread into the network namespace bound at `path`
    /// (`/run/netns/<name>` for `ip netns add <name>`, `/proc/<pid>/ns/net`).
    static func enter(path: String) throws(NetlinkError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(operation: "open \(path)", errno: errno) }
        defer { close(fd) }
        guard kvmnet_setns(fd, cloneNewNet) == 0 else { throw .system(operation: "setns \(path)", errno: errno) }
    }
}
