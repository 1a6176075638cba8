import Foundation

/// Where things are: the repository, the built executables, free ports, scratch directories.
enum Paths {
    /// The repository root (three levels above this file).
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func repo(_ relative: String) -> String { repositoryRoot.appendingPathComponent(relative).path }

    /// The build products directory (where the test bundle and the executables are).
    static var productsDirectory: URL {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent()
    }

    static var agent: String { productsDirectory.appendingPathComponent("kvmnet-agent").path }

    /// The fixture host of the golden test.
    static let fixture = repo("Tests/Fixtures/kvm-host")
    static var fixtureArguments: [String] {
        ["--no-netlink", "--path.procfs=\(fixture)/proc", "--path.sysfs=\(fixture)/sys"]
    }

    /// A new empty directory under the system's temporary directory.
    static func scratchDirectory(_ prefix: String) throws -> String {
        let dir = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The first of `names` found in the usual binary directories.
    static func tool(_ names: String...) -> String? {
        for n in names {
            for dir in ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin"] where FileManager.default.isExecutableFile(atPath: "\(dir)/\(n)") {
                return "\(dir)/\(n)"
            }
        }
        return nil
    }

    /// A TCP port on 127.0.0.1 that nobody listens on now (bind to 0, read it back, close).
    static func freePort() -> Int {
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

    /// Writes `text` to `path` by renaming a temporary file over it, as editors and
    /// configuration management do: a reader never sees a half-written file.
    static func writeAtomically(_ text: String, to path: String) throws {
        let tmp = path + ".tmp-\(UUID().uuidString.prefix(6))"
        try text.write(toFile: tmp, atomically: false, encoding: .utf8)
        guard rename(tmp, path) == 0 else { throw TestFailure("rename \(tmp) -> \(path): errno \(errno)") }
    }
}

/// A failed test step with a message.
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
