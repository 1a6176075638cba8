import Foundation
import KVMNetWeb
import Logging
import Testing

/// ``WebLimits`` on a real ``WebServer`` over loopback: the request cap answers 503 at
/// once, slow and idle clients are closed, oversized and malformed requests get 431,
/// 413 or 400 and their connection closed, and a full server makes room.
@Suite(.serialized)
struct WebHardeningTests {
    /// A server on 127.0.0.1 with `limits`; `/slow` waits for `gate` to open.
    final class Server: @unchecked Sendable {
        let server: WebServer
        let port: Int
        let gate = DispatchSemaphore(value: 0)
        let entered = HardeningLocked(0)

        init(_ limits: WebLimits) async throws {
            let gate = self.gate
            let entered = self.entered
            server = try WebServer(listenAddress: "127.0.0.1:0", limits: limits, logger: Logger(label: "test")) { request in
                if request.path == "/slow" {
                    entered.with { $0 += 1 }
                    gate.wait()
                }
                return WebResponse(status: 200, contentType: "text/plain", text: "ok \(request.path)\n")
            }
            port = try await server.start().port
        }

        func stop() async { await server.shutdown() }
    }

    static func limits(_ change: (inout WebLimits) -> Void) -> WebLimits {
        var l = WebLimits()
        change(&l)
        return l
    }

    @Test func requestsOverTheCapGet503AtOnceAndTheOthersComplete() async throws {
        let s = try await Server(Self.limits { $0.maxRequests = 2 })
        let slow = (0..<2).map { _ in JoinableThread.detached { try? RawHTTP.request(port: s.port, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n") } }
        try await waitUntil { s.entered.with { $0 } == 2 }
        #expect(s.server.inFlight.current == 2)
        let start = Date()
        let refused = try RawHTTP.request(port: s.port, "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(refused.status == 503)
        #expect(refused.body.contains("limit of concurrent requests reached (2)"))
        #expect(Date().timeIntervalSince(start) < 2)
        s.gate.signal()
        s.gate.signal()
        for t in slow { #expect(t.join()??.status == 200) }
        try await waitUntil { s.server.inFlight.current == 0 }
        #expect(try RawHTTP.request(port: s.port, "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n").status == 200)
        await s.stop()
    }

    @Test func slowlorisIsClosedAtTheReadTimeoutWhileOthersAreServed() async throws {
        let s = try await Server(Self.limits { $0.readTimeoutSeconds = 1 })
        // Twenty clients send a header line a byte at a time and never finish.
        let slow = try (0..<20).map { _ in try RawHTTP.Connection(port: s.port) }
        let start = Date()
        for c in slow { c.send("GET /x HTTP/1.1\r\nHost: x\r\nX-Slow: ") }
        var servedMeanwhile = 0
        var closed = Set<Int>()
        // Without a read timeout they would stay open for good; 10 s leaves room for a
        // loaded CI machine (a round of this loop can take seconds there).
        while Date().timeIntervalSince(start) < 10 && closed.count < slow.count {
            for (i, c) in slow.enumerated() where !closed.contains(i) {
                if !c.send("s") || c.isClosedByPeer(waiting: 0) { closed.insert(i) }
            }
            if try RawHTTP.request(port: s.port, "GET /x HTTP/1.1\r\nHost: x\r\n\r\n").status == 200 { servedMeanwhile += 1 }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        let elapsed = Date().timeIntervalSince(start)
        #expect(closed.count == slow.count, "slow clients still open after \(elapsed) s")
        #expect(elapsed >= 0.9, "closed after \(elapsed) s, before the read timeout")
        #expect(servedMeanwhile >= 2)
        await s.stop()
    }

    @Test func aConnectionThatSendsNothingIsClosedAndAnIdleKeepAliveToo() async throws {
        let s = try await Server(Self.limits { $0.readTimeoutSeconds = 1; $0.idleTimeoutSeconds = 1 })
        let silent = try RawHTTP.Connection(port: s.port)
        #expect(silent.isClosedByPeer(waiting: 3))
        let keepAlive = try RawHTTP.Connection(port: s.port)
        #expect(keepAlive.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n"))
        let first = try keepAlive.readResponse()
        #expect(first.status == 200)
        #expect(keepAlive.send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n"))
        #expect(try keepAlive.readResponse().status == 200)
        #expect(keepAlive.isClosedByPeer(waiting: 3))
        await s.stop()
    }

    @Test func oversizedRequestLineAndHeadersGet431() async throws {
        let s = try await Server(WebLimits())
        let longURL = "GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\nHost: x\r\n\r\n"
        let manyHeaders = "GET / HTTP/1.1\r\nHost: x\r\n" + (0..<150).map { "X-\($0): y\r\n" }.joined() + "\r\n"
        let bigHeaders = "GET / HTTP/1.1\r\nHost: x\r\n" + (0..<8).map { "X-\($0): \(String(repeating: "v", count: 5000))\r\n" }.joined() + "\r\n"
        let oneHugeHeader = "GET / HTTP/1.1\r\nHost: x\r\nCookie: \(String(repeating: "c", count: 10000))\r\n\r\n"
        for (what, raw) in [("long URL", longURL), ("150 headers", manyHeaders), ("40 KB of headers", bigHeaders), ("one 10 KB header", oneHugeHeader)] {
            let c = try RawHTTP.Connection(port: s.port)
            #expect(c.send(raw))
            let r = try c.readResponse()
            #expect(r.status == 431, "\(what)")
            #expect(r.headers["connection"] == "close", "\(what)")
            #expect(c.isClosedByPeer(waiting: 2), "\(what): connection left open")
        }
        #expect(try RawHTTP.request(port: s.port, "GET /fine HTTP/1.1\r\nHost: x\r\n\r\n").status == 200)
        await s.stop()
    }

    @Test func malformedRequestsGet400AndTheirConnectionClosed() async throws {
        let s = try await Server(WebLimits())
        for raw in [
            "GARBAGE\r\n\r\n",
            "GET / HTTP/9.9\r\nHost: x\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: x\r\nBad Header Name: y\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "\u{0}\u{1}\u{2}\u{3}\r\n\r\n",
            "GET /\u{7f} HTTP/1.1\r\n\r\n",
        ] {
            let c = try RawHTTP.Connection(port: s.port)
            #expect(c.send(raw))
            let r = try c.readResponse()
            #expect(r.status == 400, "\(raw.debugDescription): \(r.status)")
            #expect(c.isClosedByPeer(waiting: 2), "\(raw.debugDescription): connection left open")
        }
        #expect(try RawHTTP.request(port: s.port, "GET /fine HTTP/1.1\r\nHost: x\r\n\r\n").status == 200)
        await s.stop()
    }

    @Test func aLargeBodyGets413() async throws {
        let s = try await Server(WebLimits())
        let c = try RawHTTP.Connection(port: s.port)
        #expect(c.send("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n"))
        _ = c.send(String(repeating: "b", count: 100_000))
        let r = try c.readResponse()
        #expect(r.status == 413)
        #expect(c.isClosedByPeer(waiting: 2))
        await s.stop()
    }

    @Test func aFullServerClosesTheLongestWaitingConnectionToServeANewOne() async throws {
        let s = try await Server(Self.limits { $0.maxConnections = 4 })
        let idle = try (0..<4).map { _ in try RawHTTP.Connection(port: s.port) }
        try await Task.sleep(nanoseconds: 200_000_000)
        #expect(try RawHTTP.request(port: s.port, "GET /new HTTP/1.1\r\nHost: x\r\n\r\n").status == 200)
        #expect(idle[0].isClosedByPeer(waiting: 2), "the oldest idle connection makes room")
        #expect(!idle[3].isClosedByPeer(waiting: 0.2))
        await s.stop()
    }

    @Test func pipelinedKeepAliveRequestsAreAnsweredInOrder() async throws {
        let s = try await Server(WebLimits())
        let c = try RawHTTP.Connection(port: s.port)
        #expect(c.send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
        for i in 1...3 {
            let r = try c.readResponse()
            #expect(r.status == 200)
            #expect(r.body == "ok /\(i)\n")
        }
        await s.stop()
    }

    func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(10)
        while !condition() {
            if Date() > deadline { throw RawHTTP.Failure(description: "condition not met in 10 s") }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
    }
}

/// A value behind a lock, for the test's threads.
final class HardeningLocked<T>: @unchecked Sendable {
    private var value: T
    private let lock = NSLock()
    init(_ v: T) { value = v }
    func with<R>(_ body: (inout T) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}

/// A thread whose result can be joined.
final class JoinableThread<T: Sendable>: @unchecked Sendable {
    private var result: T?
    private let done = DispatchSemaphore(value: 0)

    static func detached(_ body: @escaping @Sendable () -> T) -> JoinableThread<T> {
        let t = JoinableThread<T>()
        Foundation.Thread.detachNewThread {
            t.result = body()
            t.done.signal()
        }
        return t
    }

    func join() -> T? {
        done.wait()
        return result
    }
}

/// Raw HTTP/1.1 over a TCP socket: what a hostile or broken client sends, byte for byte.
enum RawHTTP {
    struct Failure: Error, CustomStringConvertible { var description: String }

    struct Response: Sendable {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    /// One request on a new connection; the whole response.
    static func request(port: Int, _ raw: String) throws -> Response {
        let c = try Connection(port: port)
        guard c.send(raw) else { throw Failure(description: "send failed") }
        return try c.readResponse()
    }

    final class Connection: @unchecked Sendable {
        let fd: Int32
        private var buffer: [UInt8] = []

        init(port: Int) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(port).bigEndian)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            var tv = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard rc == 0 else {
                close(fd)
                throw Failure(description: "connect: errno \(errno)")
            }
        }

        deinit { close(fd) }

        /// Sends all of `text`; `false` when the peer is gone.
        @discardableResult
        func send(_ text: String) -> Bool {
            let bytes = Array(text.utf8)
            var off = 0
            while off < bytes.count {
                let n = bytes[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { return false }
                off += n
            }
            return true
        }

        /// Whether the peer closed the connection within `waiting` seconds (bytes that
        /// arrive meanwhile are kept for ``readResponse()``).
        func isClosedByPeer(waiting: Double) -> Bool {
            let deadline = Date().addingTimeInterval(waiting)
            repeat {
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let left = max(0, deadline.timeIntervalSinceNow)
                if poll(&p, 1, Int32(left * 1000)) > 0 {
                    var chunk = [UInt8](repeating: 0, count: 65536)
                    let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                    if n <= 0 { return true }
                    buffer += chunk[0..<n]
                }
            } while Date() < deadline
            return false
        }

        /// Reads one response (headers, then Content-Length bytes of body).
        func readResponse() throws -> Response {
            while true {
                if let r = try parse() { return r }
                var chunk = [UInt8](repeating: 0, count: 65536)
                let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { throw Failure(description: "connection closed after \(buffer.count) bytes without a whole response") }
                buffer += chunk[0..<n]
            }
        }

        private func parse() throws -> Response? {
            let sep: [UInt8] = [13, 10, 13, 10]
            guard buffer.count >= 4, let end = (0...(buffer.count - 4)).first(where: { buffer[$0..<($0 + 4)].elementsEqual(sep) }) else {
                return nil
            }
            let lines = String(decoding: buffer[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
            let parts = lines[0].split(separator: " ")
            guard parts.count >= 2, let status = Int(parts[1]) else { throw Failure(description: "bad status line \(lines[0])") }
            var headers: [String: String] = [:]
            for l in lines.dropFirst() {
                if let c = l.firstIndex(of: ":") {
                    headers[l[..<c].lowercased()] = l[l.index(after: c)...].trimmingCharacters(in: .whitespaces)
                }
            }
            let length = Int(headers["content-length"] ?? "0") ?? 0
            guard buffer.count >= end + 4 + length else { return nil }
            let body = String(decoding: buffer[(end + 4)..<(end + 4 + length)], as: UTF8.self)
            buffer.removeFirst(end + 4 + length)
            return Response(status: status, headers: headers, body: body)
        }
    }
}
