import KVMNetLock
import NIOCore
import NIOHTTP1

/// What keeps misbehaving or hostile HTTP clients from exhausting the server: a cap on
/// requests answered at once, read, idle and write timeouts, a cap on open connections,
/// and limits on the size of a request.
///
/// The defaults suit a scrape target: a scrape is one small GET; Prometheus keeps the
/// connection open between scrapes (shorter than ``idleTimeoutSeconds``).
public struct WebLimits: Sendable, Hashable {
    /// Requests being answered at once, all connections together (`--web.max-requests`,
    /// as node_exporter, whose default is 40); 0: no cap. A request over the cap gets
    /// `503` at once, without running its route. A request counts from its last byte
    /// until its response is written out to the client.
    public var maxRequests: Int = 40
    /// Open connections. Over it, the connection that has waited longest without a
    /// request being answered is closed to make room (a slow client's, not a scraper's
    /// whose request is in progress); when every connection is busy, the new one is.
    public var maxConnections: Int = 512
    /// Seconds to receive a whole request (line, headers, body and, over TLS, the
    /// handshake): from the connection's accept for its first request, from the request's
    /// first byte for the next ones. Sending slowly does not extend it (slowloris).
    public var readTimeoutSeconds: Double = 10
    /// Seconds a keep-alive connection may stay open between requests.
    public var idleTimeoutSeconds: Double = 120
    /// Seconds for a response to be written out to a client that reads it too slowly.
    public var writeTimeoutSeconds: Double = 30
    /// Bytes of the request target (URL), and of any one header line (name and value):
    /// over it, `431`.
    public var maxFieldBytes: Int = 8 * 1024
    /// Bytes of the request target and all header lines together: over it, `431`.
    public var maxHeaderBytes: Int = 32 * 1024
    /// Header lines in one request: over it, `431`.
    public var maxHeaderCount: Int = 100
    /// Bytes of a request body (no route takes one): over it, `413` and the connection closed.
    public var maxBodyBytes: Int = 64 * 1024

    public init() {}

    /// The NIO decoder's limits.
    var decoderLimits: NIOHTTPDecoderLimitConfiguration {
        var c = NIOHTTPDecoderLimitConfiguration()
        c.maxHeaderFieldSize = maxFieldBytes
        c.maxHeaderListSize = maxHeaderBytes
        c.maxHeaderFieldCount = maxHeaderCount
        return c
    }
}

/// Counts requests being answered, all connections together (``WebLimits/maxRequests``).
public final class InFlightLimiter: Sendable {
    public let limit: Int
    private let count = Locked(0)

    public init(limit: Int) { self.limit = limit }

    /// Takes a slot; `false` when the cap is reached.
    func tryAcquire() -> Bool {
        count.withLock { n in
            if limit > 0 && n >= limit { return false }
            n += 1
            return true
        }
    }

    func release() { count.withLock { $0 = max(0, $0 - 1) } }

    /// Requests being answered now.
    public var current: Int { count.withLock { $0 } }
}

/// The open connections, for ``WebLimits/maxConnections``: which one has waited longest
/// without a request being answered.
final class ConnectionRegistry: Sendable {
    private struct Entry {
        var channel: Channel
        var busy: Bool
        var since: UInt64
    }
    private let entries = Locked<[ObjectIdentifier: Entry]>([:])
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Registers a new connection; closes the longest-waiting idle one when over the
    /// limit. - Returns: `false` when every connection is busy (the new one must go).
    func admit(_ channel: Channel) -> Bool {
        let outcome: (admitted: Bool, victim: Channel?) = entries.withLock { e in
            var victim: Channel?
            if limit > 0 && e.count >= limit {
                guard let oldest = e.filter({ !$0.value.busy }).min(by: { $0.value.since < $1.value.since }) else {
                    return (false, nil)
                }
                e[oldest.key] = nil
                victim = oldest.value.channel
            }
            e[ObjectIdentifier(channel)] = Entry(channel: channel, busy: false, since: DispatchTime.nowNanos)
            return (true, victim)
        }
        outcome.victim?.close(promise: nil)
        return outcome.admitted
    }

    /// A request of this connection is being answered (`true`), or it waits (`false`).
    func setBusy(_ channel: Channel, _ busy: Bool) {
        entries.withLock { e in
            let id = ObjectIdentifier(channel)
            guard var entry = e[id] else { return }
            entry.busy = busy
            entry.since = DispatchTime.nowNanos
            e[id] = entry
        }
    }

    func remove(_ channel: Channel) {
        _ = entries.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    var count: Int { entries.withLock { $0.count } }
}

import Dispatch

extension DispatchTime {
    static var nowNanos: UInt64 { DispatchTime.now().uptimeNanoseconds }
}
