/// Minimal IPv4 arithmetic for subnet comparisons.
public struct IPv4: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    /// Parses dotted quad text (`10.0.0.1`).
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, let octet = UInt8(part) else { return nil }
            v = v << 8 | UInt32(octet)
        }
        value = v
    }

    /// Parses the little-endian hex form of `/proc/net/route` (`0102A8C0` = 192.168.2.1).
    public init?(procHex text: some StringProtocol) {
        guard text.count == 8, let raw = UInt32(text, radix: 16) else { return nil }
        value = raw.byteSwapped
    }

    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xff).\(value >> 8 & 0xff).\(value & 0xff)"
    }

    /// The netmask of a prefix length.
    public static func mask(prefix: Int) -> UInt32 {
        prefix <= 0 ? 0 : prefix >= 32 ? .max : ~(UInt32.max >> UInt32(prefix))
    }

    /// Number of leading one bits of a netmask.
    public static func prefixLength(mask: UInt32) -> Int { (~mask).leadingZeroBitCount }

    public static func < (lhs: IPv4, rhs: IPv4) -> Bool { lhs.value < rhs.value }
}

/// An IPv4 address with its prefix length (`10.0.0.1/24`).
public struct IPv4Interface: Sendable, Hashable, CustomStringConvertible {
    public var address: IPv4
    public var prefix: Int

    /// Parses `a.b.c.d/len`; `nil` for IPv6, bare addresses or junk.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let address = IPv4(parts[0]), let prefix = Int(parts[1]), (0...32).contains(prefix) else {
            return nil
        }
        self.address = address
        self.prefix = prefix
    }

    public init(address: IPv4, prefix: Int) {
        self.address = address
        self.prefix = prefix
    }

    /// The network address.
    public var network: IPv4 { IPv4(address.value & IPv4.mask(prefix: prefix)) }

    /// Whether `other` lies in this interface's subnet.
    public func contains(_ other: IPv4) -> Bool {
        other.value & IPv4.mask(prefix: prefix) == network.value
    }

    public var description: String { "\(address)/\(prefix)" }

    /// `10.0.0.0/24`.
    public var subnetDescription: String { "\(network)/\(prefix)" }
}
