// libFuzzer target: the HTTP request path. Raw bytes from a client go through the same
// pipeline as a real connection (ConnectionGuard, NIO's HTTP/1.1 decoder with the
// server's limits, HTTPMalformedRequestResponder, compression, HTTPRequestRouter with
// the request cap) on an EmbeddedChannel. Compiled into one module with
// KVMNetWeb's sources, so the internal handlers are reachable; without worker threads the
// router answers on the (embedded) event loop.
//
// Invariants besides "no crash": every request slot taken is given back, and the
// connection is either still usable or closed (never stuck half-answered).
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOHTTPCompression

private let logger = Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() })
private let limiter = InFlightLimiter(limit: 40)
private let body = Array(String(repeating: "kvmnet_link_up{device=\"vnet0\",kind=\"tap\"} 1\n", count: 40).utf8)

private let handler: WebHandler = { request in
    switch request.path {
    case "/metrics": return WebResponse(status: 200, contentType: "text/plain; version=0.0.4", body: body)
    case "/": return WebResponse(status: 200, contentType: "text/html", text: "<html>\(request.query.count)</html>")
    case "/-/healthy": return WebResponse(status: 200, contentType: "text/plain", text: "OK\n")
    default: return .notFound(request.path)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let channel = EmbeddedChannel()
    var limits = WebLimits()
    limits.maxBodyBytes = 4096
    let clock = ConnectionClock(channel: channel, limits: limits, registry: nil, logger: logger)
    do {
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(ConnectionGuard(clock: clock, registry: nil))
        try sync.configureHTTPServerPipeline(withErrorHandling: false, withEncoderConfiguration: .init(),
                                             withDecoderLimitConfiguration: limits.decoderLimits)
        try sync.addHandlers([
            HTTPMalformedRequestResponder(),
            HTTPResponseCompressor(),
            HTTPRequestRouter(handler: handler, logger: logger, clock: clock, inFlight: limiter,
                              maxBodyBytes: limits.maxBodyBytes),
        ])
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 10245)).wait()
    } catch {
        fatalError("pipeline setup: \(error)")
    }
    // The input in two writes (a request split across reads), then the peer's end.
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let cut = size / 2
    for part in [bytes[..<cut], bytes[cut...]] where channel.isActive {
        var buffer = channel.allocator.buffer(capacity: part.count)
        buffer.writeBytes(part)
        _ = try? channel.writeInbound(buffer)
    }
    while let _ = try? channel.readOutbound(as: IOData.self) {}
    // The timers (read, idle, write) fire and close the connection.
    channel.embeddedEventLoop.advanceTime(by: .seconds(200))
    _ = try? channel.finish()
    if limiter.current != 0 { fatalError("a request slot was not given back: \(limiter.current)") }
    return 0
}
