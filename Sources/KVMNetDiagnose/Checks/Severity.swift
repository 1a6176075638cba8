/// How bad a finding is.
public enum Severity: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// Traffic is broken, or will break on the next failure.
    case fail
    /// Works now but is wrong, fragile, or cannot be verified from the host.
    case warn
    /// Worth knowing; nothing to fix.
    case info

    var rank: Int {
        switch self {
        case .fail: return 2
        case .warn: return 1
        case .info: return 0
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}
