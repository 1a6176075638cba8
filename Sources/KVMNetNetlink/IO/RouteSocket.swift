import CNetlink
import Glibc

/// A libnl `NETLINK_ROUTE` socket whose valid messages go to one Swift handler.
///
/// The socket belongs to the network namespace of the thread that created it, whichever
/// thread later reads it. Not thread-safe: one thread uses it at a time.
final class RouteSocket {
    /// Receives each valid message, with its `nlmsg_len` bytes already checked by libnl.
    final class Sink {
        var handle: (MessageView) -> Void = { _ in }
    }

    let sock: OpaquePointer
    let sink = Sink()

    /// libnl's `NL_CB_VALID` callback: hands the message's header to the sink.
    private static let validCallback: nl_recvmsg_msg_cb_t = { msg, arg in
        guard let msg, let arg, let header = nlmsg_hdr(msg) else { return Int32(NL_SKIP.rawValue) }
        Unmanaged<Sink>.fromOpaque(arg).takeUnretainedValue().handle(MessageView(header: header))
        return Int32(NL_OK.rawValue)
    }

    /// Allocates and connects the socket.
    /// - Parameter messageBufferSize: the `recv` buffer libnl starts with (see below).
    init(messageBufferSize: Int = 32 * 1024) throws(NetlinkError) {
        guard let s = nl_socket_alloc() else { throw .socketAllocationFailed }
        sock = s
        let rc = nl_connect(s, Int32(NETLINK_ROUTE))
        if rc < 0 {
            nl_socket_free(s)
            throw .libnl("nl_connect", rc)
        }
        // Messages of any size: libnl peeks at the next datagram's length first.
        nl_socket_enable_msg_peek(s)
        // Receive with 32 KiB buffers: the kernel sizes dump batches after the largest
        // buffer seen (up to 32 KiB), and each batch of a bridge FDB dump walks the FDB
        // list again from its start, so bigger batches make 100,000 entries cheaper.
        _ = nl_socket_set_msg_buf_size(s, messageBufferSize)
        // No NLM_F_ACK on requests: a get's answer is the object itself, and an ACK after
        // it would stay queued and answer the next request.
        nl_socket_disable_auto_ack(s)
        nl_socket_modify_cb(s, NL_CB_VALID, NL_CB_CUSTOM, RouteSocket.validCallback,
                            Unmanaged.passUnretained(sink).toOpaque())
    }

    deinit { nl_socket_free(sock) }

    var fd: Int32 { nl_socket_get_fd(sock) }

    /// Sets the kernel receive buffer. Above `net.core.rmem_max` this needs
    /// `SO_RCVBUFFORCE` (CAP_NET_ADMIN); without it the kernel's cap applies.
    func setReceiveBufferSize(_ bytes: Int) throws(NetlinkError) {
        let size = Int32(clamping: bytes)
        let rc = nl_socket_set_buffer_size(sock, size, 0)
        if rc < 0 { throw .libnl("nl_socket_set_buffer_size", rc) }
        if receiveBufferSize < bytes {
            var v = size
            _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    /// The usable receive buffer (the kernel reports twice the usable size).
    var receiveBufferSize: Int {
        var v: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len) == 0 else { return 0 }
        return Int(v) / 2
    }

    /// Joins multicast groups (`RTNLGRP_*`) and turns off the sequence check: events
    /// carry sequence number 0, they answer no request.
    func subscribe(_ groups: [Int32]) throws(NetlinkError) {
        nl_socket_disable_seq_check(sock)
        for group in groups {
            let rc = nl_socket_add_membership(sock, group)
            if rc < 0 { throw .libnl("nl_socket_add_membership(\(group))", rc) }
        }
    }

    /// Makes ``receiveOnce()`` return `-NLE_AGAIN` instead of blocking.
    func setNonBlocking() throws(NetlinkError) {
        let rc = nl_socket_set_nonblocking(sock)
        if rc < 0 { throw .libnl("nl_socket_set_nonblocking", rc) }
    }

    /// Reads one datagram (more while a multipart dump goes on) and passes each valid
    /// message to the sink. Returns 0, or libnl's negative error (`-NLE_AGAIN`: nothing
    /// to read; `-NLE_NOMEM`: `ENOBUFS`, events were dropped). `EINTR` is retried by libnl.
    func receiveOnce() -> Int32 {
        nl_recvmsgs_default(sock)
    }

    /// Sends a request, completing its header (sequence number, `NLM_F_REQUEST`).
    func send(_ request: RouteRequest) throws(NetlinkError) {
        guard let msg = nlmsg_alloc_simple(Int32(request.type), Int32(request.flags)) else { throw .socketAllocationFailed }
        defer { nlmsg_free(msg) }
        var header = request.familyHeader
        let rc = header.withUnsafeMutableBytes { b in
            nlmsg_append(msg, b.baseAddress, b.count, 4)
        }
        if rc < 0 { throw .libnl("nlmsg_append", rc) }
        for (type, value) in request.attributes {
            var value = value
            let r = value.withUnsafeMutableBytes { b in nla_put(msg, type, Int32(b.count), b.baseAddress) }
            if r < 0 { throw .libnl("nla_put", r) }
        }
        let sent = nl_send_auto(sock, msg)
        if sent < 0 { throw .libnl("nl_send_auto", sent) }
    }
}
