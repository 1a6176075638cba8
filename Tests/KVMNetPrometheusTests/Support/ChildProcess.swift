import Foundation
import KVMNetTestSupport

/// A child process (the agent, Prometheus) that is always stopped: by ``stop()`` (called
/// from `defer` in the tests), by `deinit`, and, should the test process die, by the kernel
/// (`setpriv --pdeathsig KILL`).
///
/// Started and reaped with KVMNetSubprocess (posix_spawn, waitpid), not Foundation's
/// Process, which on Linux can miss the exit of a child under load and wait forever.
final class ChildProcess {
    let name: String
    let process: Subprocess.Child
    private let logPath: String

    /// Starts `executable` with `arguments`; stdout and stderr go to a log file.
    init(_ name: String, executable: String, arguments: [String], logDirectory: String) throws {
        self.name = name
        logPath = "\(logDirectory)/\(name).log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        var argv = [executable] + arguments
        if let setpriv = Paths.tool("setpriv") {
            argv = [setpriv, "--pdeathsig", "KILL", "--"] + argv
        }
        process = try Subprocess.Child(argv, stdout: .file(logPath), stderr: .file(logPath))
    }

    /// What the process wrote so far.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    var isRunning: Bool { process.isRunning }

    /// SIGTERM, then SIGKILL after `grace` seconds.
    func stop(grace: Double = 5) {
        guard process.isRunning else { return }
        process.stop(grace: grace)
    }

    /// Waits for the process to exit on its own; `nil` if it still runs after `timeout`.
    func waitForExit(timeout: Double) -> Int32? {
        process.wait(timeout: timeout)?.status
    }

    deinit { stop(grace: 1) }
}

/// Runs a command to its end and returns its exit status and output.
@discardableResult
func run(_ executable: String, _ arguments: [String], stdin: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
    // Both pipes drained together (poll); no stdin: an empty one, as before.
    let r = try Subprocess.run([executable] + arguments, stdin: Array((stdin ?? "").utf8))
    return (r.status, r.stdoutText, r.stderrText)
}
