#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a file could not be read: the kind of failure, which callers act on, and the
/// errno the kernel gave, for the message.
public struct ReadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What an errno means to a reader.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// The file or its directory does not exist (a device that vanished mid-read).
        case missing
        /// The reader lacks the privilege (`/proc/net/vlan/*` and libvirt's status
        /// files are 0600).
        case permission
        /// The kernel refuses the attribute in the device's current state (`carrier` or
        /// `speed` of a down link, `ad_*` of a bond that is not 802.3ad).
        case notApplicable = "not_applicable"
        /// Anything else.
        case other

        init(errno: Int32) {
            switch errno {
            case ENOENT, ENODEV, ENXIO: self = .missing
            case EACCES, EPERM: self = .permission
            case EINVAL, EOPNOTSUPP: self = .notApplicable
            default: self = .other
            }
        }
    }

    public var path: String
    public var errno: Int32
    public var kind: Kind

    public init(path: String, errno: Int32) {
        self.path = path
        self.errno = errno
        self.kind = Kind(errno: errno)
    }

    public var isMissing: Bool { kind == .missing }
    public var isPermission: Bool { kind == .permission }
    public var isNotApplicable: Bool { kind == .notApplicable }

    /// The system's text for the errno: `Permission denied`.
    public var reason: String { String(cString: strerror(errno)) }

    public var description: String { "\(path): \(reason)" }
}

/// Small, allocation-light file access for /proc and /sys: whole-file reads with errno,
/// directory listings and symlink targets. No Foundation, no exceptions.
public enum FileReader {
    /// Reads a whole file (sysfs and procfs files report size 0, so read until EOF).
    public static func readBytes(_ path: String, limit: Int = 16 << 20) -> Result<[UInt8], ReadError> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(ReadError(path: path, errno: errno)) }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 8192)
        while out.count < limit {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(ReadError(path: path, errno: errno))
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return .success(out)
    }

    /// Reads a whole text file.
    public static func readText(_ path: String) -> Result<String, ReadError> {
        readBytes(path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Reads a one-value sysfs attribute, without the trailing newline.
    public static func readValue(_ path: String) -> Result<String, ReadError> {
        readText(path).map { s in
            var s = Substring(s)
            while let last = s.last, last == "\n" || last == " " { s = s.dropLast() }
            return String(s)
        }
    }

    /// Entry names of a directory, sorted, without `.` and `..`.
    public static func list(_ path: String) -> Result<[String], ReadError> {
        guard let dir = opendir(path) else { return .failure(ReadError(path: path, errno: errno)) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return .success(names.sorted())
    }

    /// The target of a symbolic link.
    public static func readLink(_ path: String) -> Result<String, ReadError> {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink(path, &buf, buf.count - 1)
        guard n >= 0 else { return .failure(ReadError(path: path, errno: errno)) }
        return .success(String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    /// Whether a path is a directory, following symbolic links (a device of
    /// `/sys/class/net` is a link to its directory under `/sys/devices`). A path that
    /// does not exist, or a link whose target does not, gives a ``ReadError`` whose
    /// `isMissing` is true.
    public static func isDirectory(_ path: String) -> Result<Bool, ReadError> {
        var st = stat()
        guard stat(path, &st) == 0 else { return .failure(ReadError(path: path, errno: errno)) }
        return .success(st.st_mode & S_IFMT == S_IFDIR)
    }

    /// Whether a path exists (file, directory or link target).
    public static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// The last path component.
    public static func basename(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
