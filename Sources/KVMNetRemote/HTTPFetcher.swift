import KVMNetWeb
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import KVMNetLock

/// One HTTP response, read whole.
public struct HTTPResult: Sendable {
    public var status: Int
    public var contentType: String?
    public var body: [UInt8]
}

/// GET over HTTP/1.1 (TLS with the ``HTTPClientConfig``'s CA, client certificate and
/// server name), one connection per request, `Connection: close`, with a deadline and a
/// cap on the body.
///
/// Built on SwiftNIO's HTTP/1 codec and NIOSSL, which the agent's server already uses,
/// rather than AsyncHTTPClient: kvmnet-diag makes a handful of GETs per run, and this
/// keeps its build to the packages the server already has (docs/api.md, "Client").
public final class HTTPFetcher: Sendable {
    public let config: HTTPClientConfig
    public let timeoutSeconds: Double
    public let maxBodyBytes: Int
    private let tlsConfiguration: TLSConfigurationBox

    struct SSLContextBox: @unchecked Sendable { let context: NIOSSLContext }  // NIOSSLContext is thread-safe
    struct TLSConfigurationBox: @unchecked Sendable { var configuration: TLSConfiguration }

    /// - Throws: ``RemoteError/tlsSetup(_:)`` when the CA, certificate or key do not load.
    ///   TLS is set up for the first `https` request only, so that a host without a
    ///   system trust store can still ask agents over plain HTTP.
    public init(config: HTTPClientConfig = HTTPClientConfig(), timeoutSeconds: Double = 10,
                maxBodyBytes: Int = 256 << 20) throws(RemoteError) {
        self.config = config
        self.timeoutSeconds = timeoutSeconds
        self.maxBodyBytes = maxBodyBytes
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            if let ca = config.tls.caFile { tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca)) }
            if let cert = config.tls.certFile, let key = config.tls.keyFile {
                tls.certificateChain = try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            }
        } catch {
            throw .tlsSetup("\(error) (ca_file \(config.tls.caFile ?? "-"), cert_file \(config.tls.certFile ?? "-"), key_file \(config.tls.keyFile ?? "-"))")
        }
        if config.tls.insecureSkipVerify { tls.certificateVerification = .none }
        tlsConfiguration = TLSConfigurationBox(configuration: tls)
    }

    /// Made at the first `https` request, then kept: every request of a run shares it.
    private let madeContext = Locked<SSLContextBox?>(nil)

    private func sslContext() throws(RemoteError) -> SSLContextBox {
        let made = madeContext.withLock { (box: inout SSLContextBox?) -> Result<SSLContextBox, RemoteError> in
            if let box { return .success(box) }
            do {
                let new = SSLContextBox(context: try NIOSSLContext(configuration: tlsConfiguration.configuration))
                box = new
                return .success(new)
            } catch {
                return .failure(.tlsSetup("\(error) (ca_file \(config.tls.caFile ?? "the system's trust store"), cert_file \(config.tls.certFile ?? "-"))"))
            }
        }
        return try made.get()
    }

    /// GETs `path` (with its query) from `address`.
    public func get(_ address: HTTPAddress, _ path: String, accept: String = "application/json") throws(RemoteError) -> HTTPResult {
        let url = address.url(path)
        let group = MultiThreadedEventLoopGroup.singleton
        let loop = group.next()
        let promise = loop.makePromise(of: HTTPResult.self)
        let ssl = address.tls ? try sslContext() : nil
        let serverName = config.tls.serverName ?? (Self.isIPLiteral(address.host) ? nil : address.host)
        let limit = maxBodyBytes
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(.milliseconds(Int64(timeoutSeconds * 1000)))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let ssl {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: ssl.context, serverHostname: serverName))
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector(promise: promise, limit: limit))
                }
            }
        let channel: Channel
        do {
            channel = try bootstrap.connect(host: address.host, port: address.port).wait()
        } catch {
            promise.fail(error)
            throw .unreachable(url: url, why: Self.reason(error))
        }
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: address.basePath + path)
        head.headers.add(name: "Host", value: address.host.contains(":") ? "[\(address.host)]:\(address.port)" : "\(address.host):\(address.port)")
        head.headers.add(name: "User-Agent", value: "kvmnet-diag")
        head.headers.add(name: "Accept", value: accept)
        head.headers.add(name: "Connection", value: "close")
        if let auth = config.authorizationHeader { head.headers.add(name: "Authorization", value: auth) }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        let timeout = loop.scheduleTask(in: .milliseconds(Int64(timeoutSeconds * 1000))) {
            promise.fail(FetchFailure.timedOut)
            channel.close(promise: nil)
        }
        defer {
            timeout.cancel()
            channel.close(promise: nil)
        }
        do {
            return try promise.futureResult.wait()
        } catch FetchFailure.timedOut {
            throw .timedOut(url: url, seconds: timeoutSeconds)
        } catch FetchFailure.tooLarge {
            throw .tooLarge(url: url, limit: limit)
        } catch {
            throw .unreachable(url: url, why: Self.reason(error))
        }
    }

    enum FetchFailure: Error { case timedOut, tooLarge, closedEarly }

    static func reason(_ error: any Error) -> String {
        switch error {
        case FetchFailure.closedEarly: return "the connection closed before the response was complete"
        case let e as NIOSSLError: return "TLS: \(e)"
        case let e as BoringSSLError: return "TLS: \(e)"
        case let e as NIOConnectionError: return "connection failed (\(e.dnsAAAAError.map { "\($0)" } ?? e.connectionErrors.first.map { "\($0.error)" } ?? "\(e)"))"
        default: return "\(error)"
        }
    }

    static func isIPLiteral(_ host: String) -> Bool {
        host.contains(":") || host.split(separator: ".").count == 4 && host.allSatisfy { $0.isNumber || $0 == "." }
    }
}

/// Collects one response on the channel's event loop.
private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    let promise: EventLoopPromise<HTTPResult>
    let limit: Int
    var status = 0
    var contentType: String?
    var body: [UInt8] = []
    var done = false

    init(promise: EventLoopPromise<HTTPResult>, limit: Int) {
        self.promise = promise
        self.limit = limit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            contentType = head.headers.first(name: "content-type")
        case .body(var buffer):
            guard body.count + buffer.readableBytes <= limit else {
                done = true
                promise.fail(HTTPFetcher.FetchFailure.tooLarge)
                context.close(promise: nil)
                return
            }
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            done = true
            promise.succeed(HTTPResult(status: status, contentType: contentType, body: body))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !done {
            done = true
            promise.fail(HTTPFetcher.FetchFailure.closedEarly)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !done {
            done = true
            promise.fail(error)
        }
        context.close(promise: nil)
    }
}
