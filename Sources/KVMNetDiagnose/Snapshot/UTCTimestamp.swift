#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Unix time as ISO 8601 in UTC (`2026-11-30T08:41:29Z`), the form of a snapshot's
/// `taken_at`, without Foundation.
public enum UTCTimestamp {
    public static func iso8601(_ t: time_t) -> String {
        var tm = tm()
        var t = t
        guard gmtime_r(&t, &tm) != nil else { return "1970-01-01T00:00:00Z" }
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(tm.tm_year + 1900, 4))-\(pad(tm.tm_mon + 1, 2))-\(pad(tm.tm_mday, 2))T"
            + "\(pad(tm.tm_hour, 2)):\(pad(tm.tm_min, 2)):\(pad(tm.tm_sec, 2))Z"
    }
}
