import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPCompression
import NIOPosix

/// Errors of the web server.
public enum WebServerError: Error, CustomStringConvertible {
    case badListenAddress(String)

    public var description: String {
        switch self {
        case .badListenAddress(let a): return "bad --web.listen-address \"\(a)\": expected HOST:PORT, [IPv6]:PORT or :PORT"
        }
    }
}

/// A small HTTP/1.1 server on SwiftNIO: keep-alive, gzip when the client accepts it,
/// and one handler that answers every request.
public final class WebServer: Sendable {
    public let host: String
    public let port: Int
    private let handler: WebHandler
    private let group: MultiThreadedEventLoopGroup
    private let logger: Logger
    /// TLS, basic auth and headers from `--web.config.file`; `nil`: plain HTTP, no auth.
    public let security: WebSecurity?
    /// Request cap, timeouts and size limits (see ``WebLimits``).
    public let limits: WebLimits
    /// Requests being answered now (``WebLimits/maxRequests``).
    public let inFlight: InFlightLimiter
    private let connections: ConnectionRegistry
    /// Threads the routes run on (not the event loop, not the process's shared pools).
    private let workers: NIOThreadPool

    /// - Parameters:
    ///   - listenAddress: `HOST:PORT`, `[::1]:PORT` or `:PORT` (all addresses).
    ///   - webConfigFile: an exporter-toolkit web config file; it is loaded now (a
    ///     ``WebConfigError`` if it does not load) and watched for changes.
    ///   - limits: request cap, timeouts and size limits.
    public init(listenAddress: String, webConfigFile: String? = nil, limits: WebLimits = WebLimits(), logger: Logger,
                handler: @escaping WebHandler) throws {
        let (h, p) = try Self.parse(listenAddress)
        self.host = h
        self.port = p
        self.handler = handler
        self.logger = logger
        self.security = try webConfigFile.map { path throws(WebConfigError) in try WebSecurity(configFile: path, logger: logger) }
        self.limits = limits
        self.inFlight = InFlightLimiter(limit: limits.maxRequests)
        self.connections = ConnectionRegistry(limit: limits.maxConnections)
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.workers = NIOThreadPool(numberOfThreads: 4)
        self.workers.start()
    }

    /// Splits a listen address into host and port.
    public static func parse(_ address: String) throws -> (String, Int) {
        guard let colon = address.lastIndex(of: ":") else { throw WebServerError.badListenAddress(address) }
        var host = String(address[..<colon])
        guard let port = Int(address[address.index(after: colon)...]), (0...65535).contains(port) else {
            throw WebServerError.badListenAddress(address)
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { host = "::" }
        return (host, port)
    }

    /// Binds and starts serving; returns the bound port (useful with port 0).
    public func start() async throws -> (channel: Channel, port: Int) {
        let handler = self.handler
        let logger = self.logger
        let security = self.security
        let (limits, inFlight, connections, workers) = (self.limits, self.inFlight, self.connections, self.workers)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let clock = ConnectionClock(channel: channel, limits: limits, registry: connections, logger: logger)
                do {
                    try channel.pipeline.syncOperations.addHandler(ConnectionGuard(clock: clock, registry: connections))
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
                let overTLS: Bool
                switch security?.setupConnection() {
                case nil, .plain?:
                    overTLS = false
                case .tls(let tlsHandler)?:
                    do {
                        try channel.pipeline.syncOperations.addHandler(tlsHandler)
                    } catch {
                        return channel.eventLoop.makeFailedFuture(error)
                    }
                    overTLS = true
                case .refuse(let error)?:
                    // Plain HTTP that answers every request with 500 (as exporter-toolkit
                    // does); a TLS client fails its handshake. Nothing is served.
                    logger.debug("the web config does not load: refusing requests", metadata: ["error": "\(error)"])
                    overTLS = false
                }
                return channel.pipeline.configureHTTPServerPipeline(
                    withErrorHandling: false, withDecoderLimitConfiguration: limits.decoderLimits
                ).flatMap {
                    channel.pipeline.addHandlers([
                        HTTPMalformedRequestResponder(),
                        HTTPResponseCompressor(),
                        HTTPRequestRouter(handler: handler, logger: logger, security: security, overTLS: overTLS,
                                          clock: clock, inFlight: inFlight, maxBodyBytes: limits.maxBodyBytes, workers: workers),
                    ])
                }
            }
            .childChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 1)
        var channel: Channel
        do {
            channel = try await bootstrap.bind(host: host, port: port).get()
        } catch where host == "::" {
            // No IPv6 on this host: fall back to all IPv4 addresses.
            channel = try await bootstrap.bind(host: "0.0.0.0", port: port).get()
        }
        let bound = channel.localAddress?.port ?? port
        if let security {
            logger.info("web config", metadata: ["file": "\(security.path)", "settings": "\(security.summary)"])
        }
        return (channel, bound)
    }

    /// Stops the event loop threads.
    public func shutdown() async {
        try? await group.shutdownGracefully()
        try? await workers.shutdownGracefully()
    }
}

/// Collects a request and answers it through the handler.
final class HTTPRequestRouter: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let handler: WebHandler
    private let logger: Logger
    private let security: WebSecurity?
    private let overTLS: Bool
    private var head: HTTPRequestHead?
    private let clock: ConnectionClock?
    private let inFlight: InFlightLimiter?
    private let maxBodyBytes: Int
    /// Where routes run; `nil`: on the event loop (EmbeddedChannel, fuzzing).
    private let workers: NIOThreadPool?
    private var bodyBytes = 0

    init(handler: @escaping WebHandler, logger: Logger, security: WebSecurity? = nil, overTLS: Bool = false,
         clock: ConnectionClock? = nil, inFlight: InFlightLimiter? = nil, maxBodyBytes: Int = WebLimits().maxBodyBytes,
         workers: NIOThreadPool? = nil) {
        self.handler = handler
        self.logger = logger
        self.security = security
        self.overTLS = overTLS
        self.clock = clock
        self.inFlight = inFlight
        self.maxBodyBytes = maxBodyBytes
        self.workers = workers
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            bodyBytes = 0
        case .body(let b):
            // No route takes a body; a big one is refused rather than read on.
            bodyBytes += b.readableBytes
            if bodyBytes > maxBodyBytes, let h = head {
                head = nil
                clock?.requestComplete()
                write(context: context, head: h, response: WebResponse(
                    status: 413, contentType: "text/plain; charset=utf-8", text: "413 request body too large\n",
                    headers: [("Connection", "close")]), extraHeaders: [], releasing: false)
            }
        case .end:
            guard let h = head else { return }
            head = nil
            clock?.requestComplete()
            guard inFlight?.tryAcquire() ?? true else {
                let limit = inFlight?.limit ?? 0
                write(context: context, head: h, response: WebResponse(
                    status: 503, contentType: "text/plain; charset=utf-8",
                    text: "503 limit of concurrent requests reached (\(limit)), try again later\n"),
                      extraHeaders: [], releasing: false)
                return
            }
            respond(context: context, head: h)
        }
    }

    /// Answers on a worker thread (a slow route does not hold the other connections up),
    /// then writes on the event loop.
    private func respond(context: ChannelHandlerContext, head: HTTPRequestHead) {
        guard let workers else {
            let (response, extra) = answer(head)
            write(context: context, head: head, response: response, extraHeaders: extra, releasing: true)
            return
        }
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        workers.submit { [self] state in
            let (response, extra) = state == .active
                ? answer(head)
                : (WebResponse(status: 503, contentType: "text/plain; charset=utf-8", text: "503 shutting down\n"), [])
            bound.eventLoop.execute { [self] in
                write(context: bound.value, head: head, response: response, extraHeaders: extra, releasing: true)
            }
        }
    }

    /// The route's response, or the security's refusal, and headers to add. Thread-safe.
    private func answer(_ head: HTTPRequestHead) -> (WebResponse, [(name: String, value: String)]) {
        let parts = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let request = WebRequest(
            method: head.method.rawValue, path: parts.first.map(String.init) ?? "/",
            query: parts.count > 1 ? String(parts[1]) : "",
            headers: head.headers.map { ($0.name, $0.value) })
        var response: WebResponse
        let admission = security?.admit(request, overTLS: overTLS)
        if let refusal = admission?.refusal {
            response = refusal
        } else if head.method != .GET && head.method != .HEAD {
            response = WebResponse(status: 405, contentType: "text/plain; charset=utf-8", text: "405 method not allowed\n",
                                   headers: [("Allow", "GET, HEAD")])
        } else {
            response = handler(request)
        }
        return (response, admission?.headers ?? [])
    }

    private func write(context: ChannelHandlerContext, head: HTTPRequestHead, response: WebResponse,
                       extraHeaders: [(name: String, value: String)], releasing: Bool) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(response.body.count))
        for (n, v) in response.headers { headers.add(name: n, value: v) }
        for (n, v) in extraHeaders { headers.replaceOrAdd(name: n, value: v) }
        let keepAlive = head.isKeepAlive && !response.headers.contains { $0.name == "Connection" && $0.value == "close" }
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        let responseHead = HTTPResponseHead(version: head.version, status: HTTPResponseStatus(statusCode: response.status),
                                            headers: headers)
        context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
        if head.method != .HEAD {
            var buffer = context.channel.allocator.buffer(capacity: response.body.count)
            buffer.writeBytes(response.body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        let channel = context.channel
        clock?.responseStarted()
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { [self] _ in
            if releasing { inFlight?.release() }
            clock?.responseWritten()
            if !keepAlive { channel.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        logger.debug("HTTP connection error: \(error)")
        context.close(promise: nil)
    }
}
