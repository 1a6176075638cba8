#if canImport(Glibc)
import Glibc
#endif

/// What identifies a version of a file without reading it: device, inode, size and
/// modification time. A change of any of them means the file must be read again.
struct FileSignature: Equatable, Sendable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var modifiedSeconds: Int
    var modifiedNanoseconds: Int

    /// The signature of `path` now; `nil` when it cannot be stat'ed.
    static func of(_ path: String) -> FileSignature? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return FileSignature(st)
    }

    init(_ st: stat) {
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        size = Int64(st.st_size)
        modifiedSeconds = Int(st.st_mtim.tv_sec)
        modifiedNanoseconds = Int(st.st_mtim.tv_nsec)
    }
}

/// The contents of a file and the signature of what was read.
struct FileSnapshot: Sendable {
    var bytes: [UInt8]
    var signature: FileSignature

    /// Reads a whole (small) file; the error is the system's message.
    static func read(_ path: String) -> Result<FileSnapshot, FileReadError> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(FileReadError(path: path, reason: Self.errnoText())) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return .failure(FileReadError(path: path, reason: Self.errnoText())) }
        if (st.st_mode & S_IFMT) == S_IFDIR { return .failure(FileReadError(path: path, reason: "is a directory")) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(FileReadError(path: path, reason: Self.errnoText()))
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > 16 << 20 { return .failure(FileReadError(path: path, reason: "larger than 16 MiB")) }
        }
        return .success(FileSnapshot(bytes: bytes, signature: FileSignature(st)))
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}

/// A file that could not be read.
struct FileReadError: Error, Equatable {
    var path: String
    var reason: String
}
