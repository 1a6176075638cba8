import Foundation
import KVMNetLock
import Testing
@testable import KVMNetNetlink

/// Whether this process may create network namespaces and links.
enum KernelAccess {
    static let isRoot = getuid() == 0
    static let hasIPRoute2 = Command.locate("ip") != nil && Command.locate("bridge") != nil
    /// Root with iproute2: the live tests can run.
    static let available = isRoot && hasIPRoute2
    static let reason: Comment = "needs root and iproute2 (ip, bridge) to create network namespaces"
}

/// A network namespace created for one test (`ip netns add kvmnet-test-<random>`).
final class TestNamespace: Sendable {
    let name: String

    init(prefix: String = "kvmnet-test") throws {
        name = "\(prefix)-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        try Command.run(["ip", "netns", "add", name])
    }

    /// Deletes the namespace; its links go with it.
    func delete() {
        do {
            try Command.run(["ip", "netns", "del", name])
        } catch {
            print("warning: could not delete network namespace \(name): \(error)")
        }
    }

    var path: String { "/run/netns/\(name)" }

    /// `ip -n <ns> ...`
    @discardableResult
    func ip(_ args: String...) throws -> String { try Command.run(["ip", "-n", name] + args) }

    /// `ip -n <ns> -batch <file>`: many commands in one process.
    func ipBatch(_ lines: [String]) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString).batch")
        try lines.joined(separator: "\n").appending("\n").write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        try Command.run(["ip", "-n", name, "-batch", file.path])
    }

    /// `bridge -n <ns> ...`
    @discardableResult
    func bridge(_ args: String...) throws -> String { try Command.run(["bridge", "-n", name] + args) }

    /// `ip netns exec <ns> sysctl -q -w key=value`
    func sysctl(_ key: String, _ value: String) throws {
        try Command.run(["ip", "netns", "exec", name, "sysctl", "-q", "-w", "\(key)=\(value)"])
    }

    /// Turns IPv6 off for links created from now on, so that no router or neighbour
    /// solicitation teaches a bridge MACs behind the test's back.
    func disableIPv6() throws {
        try sysctl("net.ipv6.conf.all.disable_ipv6", "1")
        try sysctl("net.ipv6.conf.default.disable_ipv6", "1")
    }

    /// Runs `body` on a fresh thread that entered this namespace, and waits for it.
    /// Sockets created there belong to the namespace; threads it starts inherit it.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) throws -> T {
        let result = Locked<Result<T, any Error>?>(nil)
        let path = self.path
        let thread = try NativeThread.spawn(name: "kvmnet-test-ns") {
            let r = Result<T, any Error> {
                try NetworkNamespace.enter(path: path)
                return try body()
            }
            result.withLock { $0 = r }
        }
        thread.join()
        guard let r = result.withLock({ $0 }) else { throw NetlinkError.system(operation: "test thread", errno: 0) }
        return try r.get()
    }
}

/// Creates a namespace, runs `body`, and deletes it even when `body` throws.
func withTestNamespace<T>(prefix: String = "kvmnet-test", _ body: (TestNamespace) throws -> T) throws -> T {
    let ns = try TestNamespace(prefix: prefix)
    defer { ns.delete() }
    return try body(ns)
}

/// Polls `condition` every 20 ms until it holds or `timeout` seconds passed.
func waitUntil(timeout: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
}
