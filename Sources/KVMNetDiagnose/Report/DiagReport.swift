import KVMNetModel
import KVMNetSources

/// Overall outcome of a diagnosis, which decides the exit code.
public enum ReportStatus: String, Sendable, Hashable, Codable {
    /// Nothing above info.
    case ok
    /// Warnings, no failure, data complete.
    case warn
    /// At least one failure.
    case fail
    /// No failure, but some sources could not be read.
    case incomplete
    /// The request named something unknown.
    case usageError = "usage_error"

    /// The process exit code: 0 ok, 1 fail, 2 warn, 3 incomplete, 64 usage error.
    public var exitCode: Int32 {
        switch self {
        case .ok: return 0
        case .fail: return 1
        case .warn: return 2
        case .incomplete: return 3
        case .usageError: return 64
        }
    }
}

/// What became of one check.
public struct CheckOutcome: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Hashable, Codable {
        case passed, info, warned, failed, skipped
    }

    public var check: String
    public var status: Status
    /// Why it was skipped.
    public var reason: String?
    /// Across hosts: the host the check ran on; `nil` for one host, and for the checks
    /// that join both hosts' halves (`crosshost.*`).
    public var host: String?

    public init(check: String, status: Status, reason: String? = nil, host: String? = nil) {
        self.check = check
        self.status = status
        self.reason = reason
        self.host = host
    }
}

/// Counts of check outcomes, and why the skipped ones were skipped.
public struct ReportSummary: Sendable, Hashable, Codable {
    public var checks: Int
    public var passed: Int
    public var info: Int
    public var warned: Int
    public var failed: Int
    public var skipped: Int
    public var skippedChecks: [CheckOutcome]

    public init(outcomes: [CheckOutcome]) {
        checks = outcomes.count
        passed = outcomes.filter { $0.status == .passed }.count
        info = outcomes.filter { $0.status == .info }.count
        warned = outcomes.filter { $0.status == .warned }.count
        failed = outcomes.filter { $0.status == .failed }.count
        skipped = outcomes.filter { $0.status == .skipped }.count
        skippedChecks = outcomes.filter { $0.status == .skipped }
    }

    enum CodingKeys: String, CodingKey {
        case checks, passed, info, warned, failed, skipped
        case skippedChecks = "skipped_checks"
    }
}

/// The traced path as the report shows it.
public struct PathReport: Sendable, Hashable, Codable {
    public var from: Endpoint
    public var to: Endpoint?
    public var relation: SegmentRelation?
    public var sharesSegment: Bool?
    public var routedByHost: Bool
    /// The one-line rendering: `vm1 vnet0 -- brvlan-10 -- bond0.10 [vlan 10]  X  ...`.
    public var rendered: String
    public var fromHops: [Hop]
    public var toHops: [Hop]?

    public init(_ analysis: PathAnalysis) {
        from = analysis.from.endpoint
        to = analysis.to?.endpoint
        relation = analysis.relation
        sharesSegment = analysis.relation?.sharesSegment
        routedByHost = analysis.routedByHost
        rendered = PathRenderer.render(analysis)
        fromHops = analysis.from.hops
        toHops = analysis.to?.hops
    }

    enum CodingKeys: String, CodingKey {
        case from, to, relation
        case sharesSegment = "shares_segment"
        case routedByHost = "routed_by_host"
        case rendered
        case fromHops = "from_hops"
        case toHops = "to_hops"
    }
}

/// The result of a diagnosis: what `--json` prints and the agent serves at `/diagnose`.
/// docs/diag-json.md documents the schema; `schema_version` changes when a key changes
/// meaning or disappears.
public struct DiagReport: Sendable, Hashable, Codable {
    public static let currentSchemaVersion = 1

    public var schemaVersion: Int
    public var tool: String
    public var version: String
    public var host: String?
    /// When the snapshot was taken.
    public var takenAt: String?
    public var runningAsRoot: Bool
    public var request: DiagRequest
    public var status: ReportStatus
    public var exitCode: Int32
    /// One line: what is wrong, or that nothing is.
    public var verdict: String
    /// `nil` for a whole-host diagnosis.
    public var path: PathReport?
    /// Most severe first.
    public var findings: [Finding]
    public var summary: ReportSummary
    /// Every check that took part, in catalog order.
    public var checks: [CheckOutcome]
    /// Sources that could not be read.
    public var dataErrors: [DataError]
    /// Problems with the request itself (an endpoint not found).
    public var requestErrors: [ResolveError]
    /// Across hosts (`--prometheus`, `--peer`): each host's half, A's first; `nil` for a
    /// diagnosis of one host.
    public var hosts: [HostHalfReport]?

    public init(
        host: String?, takenAt: String?, runningAsRoot: Bool, request: DiagRequest,
        status: ReportStatus, verdict: String, path: PathReport?, findings: [Finding],
        checks: [CheckOutcome], dataErrors: [SourceError], requestErrors: [ResolveError]
    ) {
        self.schemaVersion = Self.currentSchemaVersion
        self.tool = "kvmnet-diag"
        self.version = KVMNetDiagnoseVersion.current
        self.host = host
        self.takenAt = takenAt
        self.runningAsRoot = runningAsRoot
        self.request = request
        self.status = status
        self.exitCode = status.exitCode
        self.verdict = verdict
        self.path = path
        self.findings = findings
        self.summary = ReportSummary(outcomes: checks)
        self.checks = checks
        self.dataErrors = dataErrors.map(DataError.init)
        self.requestErrors = requestErrors
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version"
        case tool, version, host
        case takenAt = "taken_at"
        case runningAsRoot = "running_as_root"
        case request, status
        case exitCode = "exit_code"
        case verdict, path, findings, summary, checks
        case dataErrors = "data_errors"
        case requestErrors = "request_errors"
        case hosts
    }
}

/// A source that could not be read, as `data_errors` lists it: `{"source", "path",
/// "message"}` (docs/diag-json.md). The snapshot keeps the whole ``SourceError``, with its
/// kind, so that a saved snapshot skips the same checks.
public struct DataError: Sendable, Hashable, Codable {
    public var source: Source
    public var path: String
    public var message: String

    public init(_ error: SourceError) {
        source = error.source
        path = error.path
        message = error.message
    }
}

/// The library's version, printed by `kvmnet-diag --version` and in reports.
public enum KVMNetDiagnoseVersion {
    public static let current = "0.1.0"
}
