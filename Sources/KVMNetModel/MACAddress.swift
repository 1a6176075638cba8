/// Helpers for colon-separated hardware addresses.
public enum MACAddress {
    /// Formats bytes as lower-case `aa:bb:cc:dd:ee:ff`.
    public static func format<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        let hex: [Character] = Array("0123456789abcdef")
        var out = ""
        out.reserveCapacity(bytes.count * 3)
        for (i, b) in bytes.enumerated() {
            if i > 0 { out.append(":") }
            out.append(hex[Int(b >> 4)])
            out.append(hex[Int(b & 0xf)])
        }
        return out
    }

    /// The 48-bit MAC in the low bits of a word (``FDBEntry/mac``) as `aa:bb:cc:dd:ee:ff`.
    public static func format(_ word: UInt64) -> String {
        format((0..<6).map { UInt8(truncatingIfNeeded: word >> (40 - 8 * UInt64($0))) })
    }

    /// Six colon-separated hex pairs (either case) as a 48-bit word; `nil` for anything else.
    public static func parse(_ text: String) -> UInt64? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        var word: UInt64 = 0
        for part in parts {
            guard part.count == 2, let byte = UInt8(part, radix: 16) else { return nil }
            word = word << 8 | UInt64(byte)
        }
        return word
    }

    /// Lower-cases a textual MAC.
    public static func normalize(_ text: String) -> String { text.lowercased() }

    /// True for `00:00:00:00:00:00` (and an empty string).
    public static func isZero(_ text: String) -> Bool {
        text.allSatisfy { $0 == "0" || $0 == ":" }
    }
}
