import Foundation
@testable import KVMNetNetlink

/// Raw rtnetlink messages straight from the kernel, for fixtures and for checking what
/// the kernel sends. Create and use on one thread (inside ``TestNamespace/run(_:)``).
final class RawEventRecorder {
    private let socket: RouteSocket
    private var received: [[UInt8]] = []

    /// Subscribes to `RTNLGRP_LINK` and `RTNLGRP_NEIGH`.
    init() throws {
        socket = try RouteSocket()
        try socket.subscribe([1, 3])
        try socket.setReceiveBufferSize(4 << 20)
        try socket.setNonBlocking()
        socket.sink.handle = { [unowned self] m in self.received.append(m.bytes) }
    }

    /// Everything received within `seconds`, in order; then starts over.
    func drain(for seconds: Double) -> [[UInt8]] {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if socket.receiveOnce() != 0 { usleep(10_000) }
        }
        defer { received.removeAll() }
        return received
    }
}

/// One dump's raw messages.
func rawDump(_ request: RouteRequest, messageBufferSize: Int = 32 * 1024) throws -> [[UInt8]] {
    let socket = try RouteSocket(messageBufferSize: messageBufferSize)
    return try socket.dump(request, onDecodeError: { _ in }) { m throws(NetlinkDecodeError) in m.bytes }
}

/// A minimal look at a raw message, for naming fixture files only.
struct RawMessageSummary {
    var type: UInt16
    var family: UInt8
    var index: Int32
    var name: String?

    init(_ bytes: [UInt8]) {
        func u16(_ o: Int) -> UInt16 { o + 2 <= bytes.count ? UInt16(bytes[o]) | UInt16(bytes[o + 1]) << 8 : 0 }
        func u32(_ o: Int) -> UInt32 { o + 4 <= bytes.count ? UInt32(u16(o)) | UInt32(u16(o + 2)) << 16 : 0 }
        type = u16(4)
        family = bytes.count > 16 ? bytes[16] : 0
        index = Int32(bitPattern: u32(20))
        name = nil
        if type == 16 || type == 17 {
            var o = 32
            while o + 4 <= bytes.count {
                let len = Int(u16(o)), t = u16(o + 2)
                guard len >= 4, o + len <= bytes.count else { break }
                if t == 3 { name = String(decoding: bytes[(o + 4)..<(o + len)].prefix { $0 != 0 }, as: UTF8.self) }
                o += (len + 3) & ~3
            }
        }
    }

    var typeName: String {
        switch type {
        case 16: return "newlink"
        case 17: return "dellink"
        case 20: return "newaddr"
        case 28: return "newneigh"
        case 29: return "delneigh"
        default: return "type\(type)"
        }
    }

    var familyName: String {
        switch family {
        case 0: return "unspec"
        case 2: return "inet"
        case 7: return "bridge"
        case 10: return "inet6"
        default: return "af\(family)"
        }
    }
}

/// Sends one UDP datagram to `address` port 9 from the calling thread's namespace: the
/// ARP exchange before it makes a bridge learn both MACs.
func sendUDP(to address: String) throws {
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    guard fd >= 0 else { throw Command.Failure(arguments: ["socket"], status: errno, stderr: "") }
    defer { close(fd) }
    var sin = sockaddr_in()
    sin.sin_family = sa_family_t(AF_INET)
    sin.sin_port = in_port_t(9).bigEndian
    guard inet_pton(AF_INET, address, &sin.sin_addr) == 1 else {
        throw Command.Failure(arguments: ["inet_pton", address], status: -1, stderr: "")
    }
    let payload: [UInt8] = Array("kvmnet".utf8)
    let rc = withUnsafePointer(to: &sin) { p in
        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
            sendto(fd, payload, payload.count, 0, sa, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard rc >= 0 else { throw Command.Failure(arguments: ["sendto", address], status: errno, stderr: "") }
}
