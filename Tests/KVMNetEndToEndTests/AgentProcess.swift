import Foundation
import KVMNetTestSupport

/// Runs the built `kvmnet-agent` as a child process on a free port and stops it.
///
/// Started and reaped with KVMNetSubprocess (posix_spawn, waitpid), not Foundation's
/// Process, which on Linux can miss the exit of a child under load and wait forever.
final class AgentProcess {
    /// The agent (or `ip netns exec`, which execs it: the same pid): `isRunning`,
    /// `processIdentifier`, `terminate()` as on Foundation's Process.
    let process: Subprocess.Child
    let port: Int
    let netns: String?

    /// The package's build products directory (where the test bundle and the executables are).
    static var productsDirectory: URL {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent()
    }

    /// The repository root (two levels above this file's directory).
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static var agentPath: String { productsDirectory.appendingPathComponent("kvmnet-agent").path }

    /// Starts the agent with `arguments` plus a listen address on a free port, and waits
    /// until it answers.
    /// `tls`: the agent serves TLS (a `--web.config.file`): readiness is its listening
    /// socket, in `netns`. `listen` is the address to bind (`0.0.0.0`: every address of the namespace, for
    /// tests that reach the agent from another namespace); the health check asks 127.0.0.1.
    init(arguments: [String], executable: String = AgentProcess.agentPath, netns: String? = nil, listen: String = "127.0.0.1", tls: Bool = false) throws {
        port = try Self.freePort()
        self.netns = netns
        var argv = [executable] + arguments + ["--web.listen-address=\(listen):\(port)", "--log.level=debug"]
        let ip = FileManager.default.fileExists(atPath: "/usr/sbin/ip") ? "/usr/sbin/ip" : "/sbin/ip"
        if let netns { argv = [ip, "netns", "exec", netns] + argv }
        // stderr captured by a thread of its own: a chatty agent (debug log) never blocks
        // on a full pipe, and `log` has everything.
        process = try Subprocess.Child(argv, stdout: .null, stderr: .capture)
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if tls, let netns, let ss = findTool("ss") {
                // Behind TLS the plain health check cannot answer: the listening socket says it is up.
                if let out = try? runCommand(ip, ["netns", "exec", netns, ss, "-ltnH", "sport = :\(port)"]), out.stdout.contains(":\(port)") { return }
            } else if let r = try? get("/-/healthy"), r.status == 200 { return }
            if !process.isRunning { break }
            usleep(50_000)
        }
        stop()
        throw TestHTTPClient.Failure(description: "agent did not start: \(log)")
    }

    /// Everything the agent wrote to stderr so far.
    var log: String { process.capturedText(.stderr) }

    func get(_ path: String, headers: [String: String] = [:]) throws -> TestHTTPResponse {
        if let netns { return try TestHTTPClient.get(port: port, path: path, headers: headers, netns: netns) }
        return try TestHTTPClient.get(port: port, path: path, headers: headers)
    }

    /// SIGTERM and reap; SIGKILL if the agent still runs 30 s later (rather than hang).
    func stop() {
        if process.isRunning { process.stop(grace: 30) }
    }

    deinit { stop() }

    /// A port nobody listens on now (bind to 0, read it back, close).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { ptr -> Int32 in
                _ = bind(fd, ptr, len)
                return getsockname(fd, ptr, &len)
            }
        }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

/// Runs a command and returns its exit status and output (status as Foundation's
/// `terminationStatus`: the exit code, or the signal that killed it).
@discardableResult
func runCommand(_ path: String, _ args: [String], stdin: [UInt8]? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
    // No stdin: an empty one (end of file at once), as before.
    let r = try Subprocess.run([path] + args, stdin: stdin ?? [])
    return (r.status, r.stdoutText, r.stderrText)
}

/// The first of `names` found in the usual binary directories.
func findTool(_ names: String...) -> String? {
    for n in names {
        for dir in ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin"] where FileManager.default.isExecutableFile(atPath: "\(dir)/\(n)") {
            return "\(dir)/\(n)"
        }
    }
    return nil
}
