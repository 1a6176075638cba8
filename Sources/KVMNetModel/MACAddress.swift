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

    /// Lower-cases a textual MAC.
    public static func normalize(_ text: String) -> String { text.lowercased() }

    /// True for `00:00:00:00:00:00` (and an empty string).
    public static func isZero(_ text: String) -> Bool {
        text.allSatisfy { $0 == "0" || $0 == ":" }
    }
}
