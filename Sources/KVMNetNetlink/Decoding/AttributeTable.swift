import CNetlink

/// The attributes of one message or one nested attribute, indexed by type, parsed with
/// libnl (`nlmsg_parse`, `nla_parse_nested`), with getters that check `nla_len` before
/// every read.
///
/// The table points into the message buffer: it is only valid while that buffer is
/// alive, so it never leaves the decoding call that created it.
struct AttributeTable {
    /// Name of the attribute family, for errors (`IFLA`, `IFLA_BOND`, ...).
    let context: String
    private var slots: [UnsafeMutablePointer<nlattr>?]

    private init(context: String, slots: [UnsafeMutablePointer<nlattr>?]) {
        self.context = context
        self.slots = slots
    }

    /// Parses the attributes that follow the family header of a message.
    /// - Precondition: the caller checked that the message holds `headerLength` bytes.
    static func parse(
        message: UnsafeMutablePointer<nlmsghdr>, headerLength: Int, maxType: Int32, context: String
    ) throws(NetlinkDecodeError) -> AttributeTable {
        let hdrlen = Int32(headerLength)
        try checkStream(head: nlmsg_attrdata(message, hdrlen), length: nlmsg_attrlen(message, hdrlen), context: context)
        var slots = [UnsafeMutablePointer<nlattr>?](repeating: nil, count: Int(maxType) + 1)
        let rc = slots.withUnsafeMutableBufferPointer { tb in
            nlmsg_parse(message, hdrlen, tb.baseAddress, maxType, nil)
        }
        guard rc >= 0 else { throw .malformedAttributes(context: context, leftoverBytes: Int(nlmsg_attrlen(message, hdrlen))) }
        return AttributeTable(context: context, slots: slots)
    }

    /// Parses the attributes nested in `attribute`.
    static func parseNested(
        _ attribute: UnsafeMutablePointer<nlattr>, maxType: Int32, context: String
    ) throws(NetlinkDecodeError) -> AttributeTable {
        try checkStream(head: nla_data(attribute)?.assumingMemoryBound(to: nlattr.self),
                        length: nla_len(attribute), context: context)
        var slots = [UnsafeMutablePointer<nlattr>?](repeating: nil, count: Int(maxType) + 1)
        let rc = slots.withUnsafeMutableBufferPointer { tb in
            nla_parse_nested(tb.baseAddress, maxType, attribute, nil)
        }
        guard rc >= 0 else { throw .malformedAttributes(context: context, leftoverBytes: Int(nla_len(attribute))) }
        return AttributeTable(context: context, slots: slots)
    }

    /// Walks an attribute stream with `nla_ok`/`nla_next`; libnl's parser silently stops at
    /// a garbled attribute, so the bytes it would leave over are reported here instead.
    static func checkStream(head: UnsafeMutablePointer<nlattr>?, length: Int32, context: String) throws(NetlinkDecodeError) {
        var remaining = length
        var cursor = head
        while let attr = cursor, nla_ok(attr, remaining) != 0 {
            cursor = nla_next(attr, &remaining)
        }
        if remaining > 0 { throw .malformedAttributes(context: context, leftoverBytes: Int(remaining)) }
    }

    /// Each attribute of the stream nested in `attribute`, in order, whatever its type
    /// (for lists whose entries use the position as type, like `IFLA_BOND_ARP_IP_TARGET`).
    static func elements(
        of attribute: UnsafeMutablePointer<nlattr>, context: String
    ) throws(NetlinkDecodeError) -> [UnsafeMutablePointer<nlattr>] {
        let head = nla_data(attribute)?.assumingMemoryBound(to: nlattr.self)
        var remaining = nla_len(attribute)
        var cursor = head
        var out: [UnsafeMutablePointer<nlattr>] = []
        while let attr = cursor, nla_ok(attr, remaining) != 0 {
            out.append(attr)
            cursor = nla_next(attr, &remaining)
        }
        if remaining > 0 { throw .malformedAttributes(context: context, leftoverBytes: Int(remaining)) }
        return out
    }

    // MARK: - Lookup

    /// The raw attribute of `type`, if present.
    func attribute(_ type: Int32) -> UnsafeMutablePointer<nlattr>? {
        guard type >= 0, Int(type) < slots.count else { return nil }
        return slots[Int(type)]
    }

    func has(_ type: Int32) -> Bool { attribute(type) != nil }

    private func present(_ type: Int32, _ name: String, minLength: Int) throws(NetlinkDecodeError) -> UnsafeMutablePointer<nlattr>? {
        guard let a = attribute(type) else { return nil }
        let len = Int(nla_len(a))
        guard len >= minLength else { throw .attributeTooShort(attribute: name, needed: minLength, actual: len) }
        return a
    }

    // MARK: - Typed getters (nil when absent, an error when too short)

    func u8(_ type: Int32, _ name: String) throws(NetlinkDecodeError) -> UInt8? {
        try present(type, name, minLength: 1).map { nla_get_u8($0) }
    }

    func u16(_ type: Int32, _ name: String) throws(NetlinkDecodeError) -> UInt16? {
        try present(type, name, minLength: 2).map { nla_get_u16($0) }
    }

    /// A 16-bit value in network byte order (`__be16`).
    func be16(_ type: Int32, _ name: String) throws(NetlinkDecodeError) -> UInt16? {
        try u16(type, name).map { UInt16(bigEndian: $0) }
    }

    func u32(_ type: Int32, _ name: String) throws(NetlinkDecodeError) -> UInt32? {
        try present(type, name, minLength: 4).map { nla_get_u32($0) }
    }

    /// The payload bytes, whatever their length (addresses).
    func bytes(_ type: Int32, _ name: String) throws(NetlinkDecodeError) -> [UInt8]? {
        guard let a = try present(type, name, minLength: 0) else { return nil }
        return Self.payload(a)
    }

    /// A NUL-terminated string; the bytes up to the first NUL (or all, if none).
    func string(_ type: Int32, _ name: String) throws(NetlinkDecodeError) -> String? {
        guard let b = try bytes(type, name) else { return nil }
        return String(decoding: b.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// The attributes nested in `type`, if present.
    func nested(_ type: Int32, _ name: String, maxType: Int32) throws(NetlinkDecodeError) -> AttributeTable? {
        guard let a = attribute(type) else { return nil }
        return try AttributeTable.parseNested(a, maxType: maxType, context: name)
    }

    /// Copies an attribute's payload.
    static func payload(_ attribute: UnsafeMutablePointer<nlattr>) -> [UInt8] {
        let len = Int(nla_len(attribute))
        guard len > 0, let data = nla_data(attribute) else { return [] }
        return Array(UnsafeRawBufferPointer(start: data, count: len))
    }
}
