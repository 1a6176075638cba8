/// The families checks come in; one source file each.
public enum CheckFamily: String, Sendable, Hashable, Codable, CaseIterable {
    case path, bond, vlan, bridge, vm, proxmox, host, config, firewall
}

/// Which kind of diagnosis a check takes part in.
public enum DiagMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// Every check on the whole host (`kvmnet-diag`).
    case host
    /// Can A reach B (`kvmnet-diag diagnose A B`).
    case path
    /// A's way out (`kvmnet-diag diagnose A --external`).
    case external
}

/// What running a check gave.
public enum CheckResult: Sendable, Hashable {
    /// The check ran; no findings means it passed.
    case ran([Finding])
    /// The check could not run; the reason says why (source unreadable, not root, ...).
    case skipped(String)
}

/// One check: an id, the severity its findings usually have, a one-line description,
/// the modes it runs in, and the function that runs it.
public struct Check: Sendable {
    public let id: String
    public let family: CheckFamily
    /// Severity of its findings (a few checks lower or raise it case by case; docs/checks.md says when).
    public let severity: Severity
    /// What it detects, in a line.
    public let title: String
    public let modes: Set<DiagMode>
    /// Host-wide checks have no device to match against a path: in external mode their
    /// findings are all kept.
    public let hostWide: Bool
    private let body: @Sendable (CheckContext) -> CheckResult

    public init(id: String, family: CheckFamily, severity: Severity, title: String,
                modes: Set<DiagMode> = Set(DiagMode.allCases), hostWide: Bool = false,
                run: @escaping @Sendable (CheckContext) -> CheckResult) {
        self.id = id
        self.family = family
        self.severity = severity
        self.title = title
        self.modes = modes
        self.hostWide = hostWide
        self.body = run
    }

    public func run(_ context: CheckContext) -> CheckResult { body(context) }
}

/// Every check, in report order.
public enum CheckCatalog {
    public static let all: [Check] =
        PathChecks.all + BondChecks.all + VLANChecks.all + BridgeChecks.all + BridgeVLANChecks.all
        + VMChecks.all + ProxmoxChecks.all + HostChecks.all + ConfigChecks.all + DriftChecks.all + FirewallChecks.all

    public static func check(id: String) -> Check? { all.first { $0.id == id } }

    /// The checks that join two hosts' halves of a path (`crosshost.*`): id and severity.
    public static var acrossHosts: [(id: String, severity: Severity)] {
        CrossHostChecks.all.map { ($0.id, $0.severity) }
    }
}
