import Foundation
import KVMNetTestSupport

/// Runs a program with fixed arguments (no shell), for setting up kernel scenarios.
enum Command {
    struct Failure: Error, CustomStringConvertible {
        var arguments: [String]
        var status: Int32
        var stderr: String
        var description: String { "\(arguments.joined(separator: " ")) exited \(status): \(stderr)" }
    }

    /// Directories searched for `ip`, `bridge`, `sysctl`.
    static let searchPath = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]

    /// The absolute path of `program`, if installed.
    static func locate(_ program: String) -> String? {
        searchPath.map { "\($0)/\(program)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `arguments[0]` (looked up in ``searchPath``) and returns its standard output.
    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        guard let program = arguments.first, let path = locate(program) else {
            throw Failure(arguments: arguments, status: -1, stderr: "not installed")
        }
        // KVMNetSubprocess, not Foundation's Process (which can miss the exit under load);
        // both pipes drained together, so that a full one cannot block the child.
        let r = try Subprocess.run([path] + arguments.dropFirst())
        guard r.status == 0 else {
            throw Failure(arguments: arguments, status: r.status, stderr: r.stderrText)
        }
        return r.stdoutText
    }
}
