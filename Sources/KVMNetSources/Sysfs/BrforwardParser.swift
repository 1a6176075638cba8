/// One record of `/sys/class/net/<bridge>/brforward` (the kernel's `struct __fdb_entry`).
public struct BrforwardEntry: Sendable, Hashable {
    public var mac: [UInt8]
    /// Bridge port number (`brport/port_no` of the port).
    public var portNumber: Int
    public var isLocal: Bool
    /// Age in centiseconds.
    public var ageingTimer: UInt32
}

/// Parses the binary `brforward` file: 16-byte records
/// `{ u8 mac[6]; u8 port_no; u8 is_local; u32 ageing_timer_value; u8 port_hi; u8 pad0; u16 unused; }`.
/// It has no VLAN and no static/learned distinction; netlink has both.
public enum BrforwardParser {
    public static let recordSize = 16

    public static func parse(_ bytes: [UInt8], file: String) throws(ProcfsParseError) -> [BrforwardEntry] {
        guard bytes.count % recordSize == 0 else {
            throw ProcfsParseError(file: file, line: nil,
                message: "brforward is \(bytes.count) bytes, not a multiple of the \(recordSize)-byte record")
        }
        var out: [BrforwardEntry] = []
        out.reserveCapacity(bytes.count / recordSize)
        var i = 0
        while i + recordSize <= bytes.count {
            let mac = Array(bytes[i..<(i + 6)])
            let port = Int(bytes[i + 6]) | (Int(bytes[i + 12]) << 8)
            let timer = UInt32(bytes[i + 8]) | UInt32(bytes[i + 9]) << 8 | UInt32(bytes[i + 10]) << 16 | UInt32(bytes[i + 11]) << 24
            out.append(BrforwardEntry(mac: mac, portNumber: port, isLocal: bytes[i + 7] != 0, ageingTimer: timer))
            i += recordSize
        }
        return out
    }

    /// Encodes entries in the kernel's layout (for test fixtures).
    public static func encode(_ entries: [BrforwardEntry]) -> [UInt8] {
        var out: [UInt8] = []
        for e in entries {
            out += e.mac.prefix(6) + [UInt8](repeating: 0, count: max(0, 6 - e.mac.count))
            out.append(UInt8(e.portNumber & 0xff))
            out.append(e.isLocal ? 1 : 0)
            out += [UInt8(e.ageingTimer & 0xff), UInt8((e.ageingTimer >> 8) & 0xff),
                    UInt8((e.ageingTimer >> 16) & 0xff), UInt8(e.ageingTimer >> 24)]
            out.append(UInt8((e.portNumber >> 8) & 0xff))
            out += [0, 0, 0]
        }
        return out
    }
}
