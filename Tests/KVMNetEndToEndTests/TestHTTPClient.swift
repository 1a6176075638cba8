#if canImport(Glibc)
import CLibcShim
import Glibc
#endif

/// A minimal HTTP/1.1 client over a TCP socket, so the tests depend on no curl and no
/// URLSession: one request, `Connection: close`, the whole response read.
struct TestHTTPResponse {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
}

enum TestHTTPClient {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// GET from inside network namespace `netns` (a thread of its own enters it with setns).
    static func get(port: Int, path: String, headers: [String: String] = [:], netns: String) throws -> TestHTTPResponse {
        final class Box: @unchecked Sendable { var result: Result<TestHTTPResponse, Error>? }
        let box = Box()
        var thread = pthread_t()
        let ctx = Unmanaged.passRetained(NetnsRequest(port: port, path: path, headers: headers, netns: netns, body: { box.result = $0 }))
        pthread_create(&thread, nil, { raw in
            let req = Unmanaged<NetnsRequest>.fromOpaque(raw!).takeRetainedValue()
            let fd = open("/var/run/netns/\(req.netns)", O_RDONLY)
            if fd < 0 || enterNetns(fd) != 0 {
                req.body(.failure(Failure(description: "setns \(req.netns): errno \(errno)")))
            } else {
                req.body(Result { try TestHTTPClient.get(port: req.port, path: req.path, headers: req.headers) })
            }
            if fd >= 0 { close(fd) }
            return nil
        }, ctx.toOpaque())
        pthread_join(thread, nil)
        return try box.result!.get()
    }

    static func get(port: Int, path: String, headers: [String: String] = [:], host: String = "127.0.0.1") throws -> TestHTTPResponse {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &addr.sin_addr)
        var tv = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw Failure(description: "connect to port \(port): errno \(errno)") }
        var request = "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n"
        for (k, v) in headers { request += "\(k): \(v)\r\n" }
        request += "\r\n"
        let bytes = Array(request.utf8)
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var data: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            data.append(contentsOf: buf[0..<n])
        }
        return try parse(data)
    }

    static func parse(_ data: [UInt8]) throws -> TestHTTPResponse {
        let sep: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, data.count - 3)).first(where: { Array(data[$0..<($0 + 4)]) == sep }) else {
            throw Failure(description: "no end of headers in \(data.count) bytes")
        }
        let head = String(decoding: data[0..<end], as: UTF8.self).split(separator: "\r\n").map(String.init)
        guard let statusLine = head.first, statusLine.split(separator: " ").count >= 2,
              let status = Int(statusLine.split(separator: " ")[1]) else {
            throw Failure(description: "bad status line")
        }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            if let c = line.firstIndex(of: ":") {
                headers[line[..<c].lowercased()] = line[line.index(after: c)...].trimmingCharacters(in: " ")
            }
        }
        return TestHTTPResponse(status: status, headers: headers, body: Array(data[(end + 4)...]))
    }
}

/// setns(2) with CLONE_NEWNET (declared by CLibcShim: Glibc's module does not export
/// setns, which needs _GNU_SOURCE).
func enterNetns(_ fd: Int32) -> Int32 {
    setns(fd, 0x4000_0000)
}

/// What the namespace thread needs.
final class NetnsRequest {
    let port: Int, path: String, headers: [String: String], netns: String
    let body: (Result<TestHTTPResponse, Error>) -> Void
    init(port: Int, path: String, headers: [String: String], netns: String, body: @escaping (Result<TestHTTPResponse, Error>) -> Void) {
        self.port = port
        self.path = path
        self.headers = headers
        self.netns = netns
        self.body = body
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}
