import Logging
import NIOCore
import NIOHTTP1

/// The phase of one connection and its deadline (``WebLimits``' read, idle and write
/// timeouts). Used only on the connection's event loop.
final class ConnectionClock: @unchecked Sendable {
    enum Phase: Equatable {
        /// No byte of the next request yet; `fresh`: the connection's first request,
        /// whose deadline runs from the accept.
        case waiting(fresh: Bool)
        /// Bytes of a request came; it must be whole by the deadline.
        case reading
        /// The request is complete: being answered, then written.
        case answering
    }

    let limits: WebLimits
    private(set) var phase: Phase = .waiting(fresh: true)
    private var deadline: Scheduled<Void>?
    private var bytesWhileAnswering = false
    private let channel: Channel
    private let registry: ConnectionRegistry?
    private let logger: Logger
    /// Why the connection was closed by a timeout, for the log and the tests.
    private(set) var expired: String?
    private var stopped = false

    init(channel: Channel, limits: WebLimits, registry: ConnectionRegistry?, logger: Logger) {
        self.channel = channel
        self.limits = limits
        self.registry = registry
        self.logger = logger
    }

    /// The connection was accepted: its first request must be whole within the read timeout.
    func start() { arm(limits.readTimeoutSeconds, "no complete request") }

    /// Raw bytes (plain or TLS) came from the client.
    func bytesArrived() {
        switch phase {
        case .waiting(let fresh):
            phase = .reading
            // The first request's deadline runs from the accept: a byte now and then
            // does not buy more time.
            if !fresh { arm(limits.readTimeoutSeconds, "request not complete in time") }
        case .reading:
            break
        case .answering:
            bytesWhileAnswering = true  // a pipelined request
        }
    }

    /// The request's last byte came: no read deadline while it is answered.
    func requestComplete() {
        phase = .answering
        registry?.setBusy(channel, true)
        deadline?.cancel()
        deadline = nil
    }

    /// The response is handed to the channel: it must be written out in time.
    func responseStarted() { arm(limits.writeTimeoutSeconds, "response not read in time") }

    /// The response was written out: wait for the next request.
    func responseWritten() {
        registry?.setBusy(channel, false)
        if bytesWhileAnswering {
            phase = .reading
            arm(limits.readTimeoutSeconds, "request not complete in time")
        } else {
            phase = .waiting(fresh: false)
            arm(limits.idleTimeoutSeconds, "idle")
        }
        bytesWhileAnswering = false
    }

    func stop() {
        stopped = true
        deadline?.cancel()
        deadline = nil
    }

    private func arm(_ seconds: Double, _ reason: String) {
        deadline?.cancel()
        guard seconds > 0, !stopped else { deadline = nil; return }
        let channel = self.channel
        deadline = channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) { [self] in
            expired = reason
            logger.debug("closing HTTP connection", metadata: ["reason": "\(reason)", "peer": "\(channel.remoteAddress.map { "\($0)" } ?? "?")"])
            channel.close(promise: nil)
        }
    }
}

/// First handler of a connection (before TLS): registers it (``WebLimits/maxConnections``),
/// starts its clock, and tells the clock when bytes come.
final class ConnectionGuard: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    let clock: ConnectionClock
    private let registry: ConnectionRegistry?

    init(clock: ConnectionClock, registry: ConnectionRegistry?) {
        self.clock = clock
        self.registry = registry
    }

    func channelActive(context: ChannelHandlerContext) {
        if let registry, !registry.admit(context.channel) {
            context.close(promise: nil)
            return
        }
        clock.start()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        clock.stop()
        registry?.remove(context.channel)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        clock.bytesArrived()
        context.fireChannelRead(data)
    }
}

/// Answers a request the HTTP decoder cannot parse: `431` when the request line or the
/// headers are over ``WebLimits``, `400` for anything else malformed; then the
/// connection is closed. (NIO's own error handler answers `400` to everything.)
final class HTTPMalformedRequestResponder: ChannelDuplexHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var responseInProgress = false

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard let parseError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        if !responseInProgress {
            let (status, text): (HTTPResponseStatus, String) =
                parseError == .headerOverflow
                ? (.requestHeaderFieldsTooLarge, "431 request header fields too large\n")
                : (.badRequest, "400 bad request\n")
            let headers = HTTPHeaders([("Connection", "close"), ("Content-Type", "text/plain; charset=utf-8"),
                                       ("Content-Length", String(text.utf8.count))])
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
            var body = context.channel.allocator.buffer(capacity: text.utf8.count)
            body.writeString(text)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        }
        context.fireErrorCaught(error)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let h) where h.isInformational: break
        case .head: responseInProgress = true
        case .body: break
        case .end: responseInProgress = false
        }
        context.write(data, promise: promise)
    }
}

extension HTTPResponseHead {
    fileprivate var isInformational: Bool { status.code >= 100 && status.code < 200 }
}
