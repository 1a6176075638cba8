import CNetlink
import Glibc
import KVMNetModel

/// Why the kernel gave no cache info for one FDB entry. Told apart by libnl's error code
/// (the kernel's errno as libnl maps it), never by a message's text.
public enum FDBGetError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `ENOENT` or `ENODEV` (libnl `NLE_OBJ_NOTFOUND`): the entry aged out or was flushed
    /// since the state listed it, or its bridge is gone.
    case notFound
    /// `EOPNOTSUPP` (`NLE_OPNOTSUPP`): the kernel has no FDB get (before Linux 5.0).
    case notSupported
    /// The kernel answered, but not with the entry asked for, or not at all within the
    /// socket's receive timeout.
    case noAnswer
    /// The time budget of the whole read ran out before this entry was asked.
    case outOfTime
    /// Any other failure.
    case failed(NetlinkError)

    init(_ error: NetlinkError) {
        switch error {
        case .libnl(_, let code, _) where code == NLE_OBJ_NOTFOUND: self = .notFound
        case .libnl(_, let code, _) where code == NLE_OPNOTSUPP: self = .notSupported
        default: self = .failed(error)
        }
    }

    public var description: String {
        switch self {
        case .notFound: return "no such FDB entry (aged out or flushed)"
        case .notSupported: return "the kernel has no FDB get (Linux 5.0+)"
        case .noAnswer: return "no answer for the FDB entry"
        case .outOfTime: return "the time budget of the FDB read ran out"
        case .failed(let e): return e.description
        }
    }
}

/// Reads the cache info (ages) of a few bridge FDB entries, one `RTM_GETNEIGH` get each
/// (`bridge fdb get`), on a short-lived socket of its own.
///
/// The kernel refreshes a learned entry on every frame from its MAC without sending an
/// event, so the event-fed state cannot know an entry's age: it is asked for when wanted.
/// The read belongs to the network namespace of the calling thread; it blocks that thread
/// for one round trip per entry (tens of microseconds), never longer than
/// `budgetSeconds` plus one receive timeout in all.
public enum NetlinkFDBReader {
    /// Receive timeout of the socket: a get the kernel does not answer fails alone.
    static let receiveTimeoutMicroseconds = 500_000

    /// The cache info of each entry of `keys` (the key's MAC, VLAN and bridge ifindex), or
    /// why there is none. After the first `notSupported` the rest are not asked (the
    /// kernel would say the same).
    /// - Throws: only when no socket can be opened; a failing entry fails alone.
    public static func cacheInfo(
        of keys: [FDBEntry.Key], budgetSeconds: Double = 1.0,
        onDecodeError: (NetlinkDecodeError) -> Void = { _ in }
    ) throws(NetlinkError) -> [FDBEntry.Key: Result<FDBCacheInfo, FDBGetError>] {
        guard !keys.isEmpty else { return [:] }
        let socket = try RouteSocket(messageBufferSize: 4096)
        var timeout = timeval(tv_sec: 0, tv_usec: receiveTimeoutMicroseconds)
        if setsockopt(socket.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size)) != 0 {
            throw .system(operation: "setsockopt SO_RCVTIMEO", errno: errno)
        }
        let deadline = monotonicNow() + budgetSeconds
        var out: [FDBEntry.Key: Result<FDBCacheInfo, FDBGetError>] = [:]
        var unsupported = false
        for key in keys where out[key] == nil {
            if unsupported {
                out[key] = .failure(.notSupported)
            } else if monotonicNow() > deadline {
                out[key] = .failure(.outOfTime)
            } else {
                let result = get(key, socket: socket, onDecodeError: onDecodeError)
                if case .failure(.notSupported) = result { unsupported = true }
                out[key] = result
            }
        }
        return out
    }

    /// One get on `socket`.
    static func get(
        _ key: FDBEntry.Key, socket: RouteSocket, onDecodeError: (NetlinkDecodeError) -> Void
    ) -> Result<FDBCacheInfo, FDBGetError> {
        do throws(NetlinkError) {
            let answers = try socket.dump(.fdbEntry(key), attempts: 1, onDecodeError: onDecodeError) {
                m throws(NetlinkDecodeError) -> FDBCacheInfo? in
                guard m.type == RouteMessageType.newNeigh,
                      let decoded = try NeighbourMessageDecoder.entryAndCacheInfo(from: m), decoded.entry.key == key
                else { return nil }
                return decoded.cacheInfo
            }
            guard let info = answers.first else { return .failure(.noAnswer) }
            return .success(info)
        } catch {
            return .failure(FDBGetError(error))
        }
    }

    static func monotonicNow() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
