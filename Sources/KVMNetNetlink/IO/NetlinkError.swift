import CNetlink

/// Why talking to the kernel over netlink failed.
public enum NetlinkError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `nl_socket_alloc` returned nothing (out of memory).
    case socketAllocationFailed
    /// A libnl call failed; `code` is libnl's positive `NLE_*` number.
    case libnl(operation: String, code: Int32, message: String)
    /// A system call failed.
    case system(operation: String, errno: Int32)
    /// The kernel kept marking a dump inconsistent (`NLM_F_DUMP_INTR`: the table changed
    /// while it was being dumped) for every attempt.
    case dumpInterrupted(request: String, attempts: Int)
    /// ``NetlinkMonitor/start(afterSubscribing:)`` was called on a monitor that had been started.
    case alreadyStarted

    /// Builds the error from a negative libnl return value.
    static func libnl(_ operation: String, _ rc: Int32) -> NetlinkError {
        let code = rc < 0 ? -rc : rc
        let message = nl_geterror(code).map { String(cString: $0) } ?? "NLE \(code)"
        return .libnl(operation: operation, code: code, message: message)
    }

    public var description: String {
        switch self {
        case .socketAllocationFailed: return "cannot allocate a netlink socket"
        case let .libnl(op, code, message): return "\(op): \(message) (NLE \(code))"
        case let .system(op, e): return "\(op): errno \(e)"
        case let .dumpInterrupted(req, n): return "\(req) dump interrupted \(n) times in a row"
        case .alreadyStarted: return "netlink monitor already started"
        }
    }
}
