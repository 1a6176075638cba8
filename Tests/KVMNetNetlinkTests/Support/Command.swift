import Foundation

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
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = Array(arguments.dropFirst())
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Read before waiting, so that a full pipe cannot block the child.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw Failure(arguments: arguments, status: p.terminationStatus,
                          stderr: String(decoding: stderr, as: UTF8.self))
        }
        return String(decoding: stdout, as: UTF8.self)
    }
}
