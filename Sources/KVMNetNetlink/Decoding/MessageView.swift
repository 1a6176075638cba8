import CNetlink

/// `NLMSG_HDRLEN`: the netlink header, already a multiple of 4 bytes.
let netlinkHeaderSize = MemoryLayout<nlmsghdr>.size

/// One netlink message in memory: a header whose `nlmsg_len` bytes the caller has checked
/// are readable. Only valid while that memory is; never stored.
struct MessageView {
    let header: UnsafeMutablePointer<nlmsghdr>

    var type: UInt16 { header.pointee.nlmsg_type }
    var length: Int { Int(header.pointee.nlmsg_len) }

    /// A copy of the whole message (fixtures, diagnostics).
    var bytes: [UInt8] { Array(UnsafeRawBufferPointer(start: header, count: length)) }

    /// Reads the fixed family header (`ifinfomsg`, `ndmsg`, ...) after the netlink header.
    func familyHeader<T>(_: T.Type) throws(NetlinkDecodeError) -> T {
        let needed = MemoryLayout<T>.size
        guard nlmsg_valid_hdr(header, Int32(needed)) != 0 else {
            throw .truncatedFamilyHeader(messageType: type, needed: needed,
                                         available: max(0, length - netlinkHeaderSize))
        }
        return UnsafeRawPointer(nlmsg_data(header)).loadUnaligned(as: T.self)
    }

    /// The attributes after the family header `T`.
    func attributes<T>(after _: T.Type, maxType: Int32, context: String) throws(NetlinkDecodeError) -> AttributeTable {
        try AttributeTable.parse(message: header, headerLength: MemoryLayout<T>.size, maxType: maxType, context: context)
    }
}

/// Splits a buffer holding one or more netlink messages (what one `recv` returns) and
/// hands each to `body`, after checking that its `nlmsg_len` fits.
///
/// The bytes are copied into 4-byte-aligned memory first, as the attribute getters expect.
func withMessages<R>(
    in bytes: [UInt8], _ body: (MessageView) throws(NetlinkDecodeError) -> R?
) throws(NetlinkDecodeError) -> [R] {
    let headerSize = netlinkHeaderSize
    guard bytes.count >= headerSize else { throw .truncatedMessage(needed: headerSize, available: bytes.count) }
    let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 8)
    defer { storage.deallocate() }
    storage.copyBytes(from: bytes)
    guard let base = storage.baseAddress else { return [] }

    var results: [R] = []
    var offset = 0
    while bytes.count - offset >= headerSize {
        let header = (base + offset).assumingMemoryBound(to: nlmsghdr.self)
        let len = Int(header.pointee.nlmsg_len)
        guard len >= headerSize, len <= bytes.count - offset else {
            throw .truncatedMessage(needed: max(len, headerSize), available: bytes.count - offset)
        }
        if let r = try body(MessageView(header: header)) { results.append(r) }
        offset += (len + 3) & ~3
    }
    if offset < bytes.count {
        throw .truncatedMessage(needed: headerSize, available: bytes.count - offset)
    }
    return results
}
