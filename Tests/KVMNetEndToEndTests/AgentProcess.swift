import Foundation

/// Runs the built `kvmnet-agent` as a child process on a free port and stops it.
final class AgentProcess {
    let process = Process()
    let port: Int
    let netns: String?
    private let stderrPipe = Pipe()

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
    init(arguments: [String], executable: String = AgentProcess.agentPath, netns: String? = nil) throws {
        port = try Self.freePort()
        self.netns = netns
        var args = arguments + ["--web.listen-address=127.0.0.1:\(port)", "--log.level=debug"]
        if let netns {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            if !FileManager.default.fileExists(atPath: "/usr/sbin/ip") { process.executableURL = URL(fileURLWithPath: "/sbin/ip") }
            args = ["netns", "exec", netns, executable] + args
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
        }
        process.arguments = args
        process.standardError = stderrPipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if let r = try? get("/-/healthy"), r.status == 200 { return }
            if !process.isRunning { break }
            usleep(50_000)
        }
        stop()
        throw TestHTTPClient.Failure(description: "agent did not start: \(log)")
    }

    private var logSoFar = ""

    /// Everything the agent wrote to stderr so far.
    var log: String {
        if !process.isRunning {
            logSoFar += String(decoding: stderrPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        } else {
            logSoFar += String(decoding: stderrPipe.fileHandleForReading.availableData, as: UTF8.self)
        }
        return logSoFar
    }

    func get(_ path: String, headers: [String: String] = [:]) throws -> TestHTTPResponse {
        if let netns { return try TestHTTPClient.get(port: port, path: path, headers: headers, netns: netns) }
        return try TestHTTPClient.get(port: port, path: path, headers: headers)
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
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

/// Runs a command and returns its exit status and output.
@discardableResult
func runCommand(_ path: String, _ args: [String], stdin: [UInt8]? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    let out = Pipe(), err = Pipe(), inp = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = inp
    try p.run()
    if let stdin { inp.fileHandleForWriting.write(Data(stdin)) }
    try inp.fileHandleForWriting.close()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
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
