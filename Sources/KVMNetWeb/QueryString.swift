/// A request's query string, `a=b&c=d`, percent-decoded: for the agent's routes
/// (`/diagnose`, `/api/v1/fdb`).
public enum QueryString {
    /// Every `key=value` in order (a key without `=` has the value ""), repeated keys kept.
    public static func pairs(_ query: String) -> [(key: String, value: String)] {
        query.split(separator: "&").filter { !$0.isEmpty }.map { pair in
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (decode(String(kv[0])), kv.count > 1 ? decode(String(kv[1])) : "")
        }
    }

    /// The pairs as a dictionary; of a repeated key the last value.
    public static func parse(_ query: String) -> [String: String] {
        var out: [String: String] = [:]
        for (key, value) in pairs(query) { out[key] = value }
        return out
    }

    /// `+` as a space and `%XX` as the byte XX; text that is not valid UTF-8 after
    /// decoding, or a `%` without two hex digits, is kept as it came.
    public static func decode(_ s: String) -> String {
        var out: [UInt8] = []
        let bytes = Array(s.utf8)
        var i = 0
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "+"):
                out.append(UInt8(ascii: " "))
                i += 1
            case UInt8(ascii: "%"):
                guard i + 2 < bytes.count, let hi = hexValue(bytes[i + 1]), let lo = hexValue(bytes[i + 2]) else { return s }
                out.append(hi << 4 | lo)
                i += 3
            default:
                out.append(bytes[i])
                i += 1
            }
        }
        return String(validating: out, as: UTF8.self) ?? s
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
