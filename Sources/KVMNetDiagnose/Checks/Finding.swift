/// One problem (or notable fact) a check found.
public struct Finding: Sendable, Hashable, Codable {
    /// Check id, e.g. `bond.no_active_slave`.
    public var check: String
    public var severity: Severity
    /// What the finding is about: a device, a domain, a file, `vm1 -> vm2`.
    public var subject: String
    /// Plain words: what is wrong and what it does to traffic. The first sentence is a
    /// headline (used in the one-line verdict).
    public var explanation: String
    public var evidence: [Evidence]
    /// The command or edit that fixes it.
    public var fix: String
    /// Devices and domains the finding concerns; a path diagnosis keeps the findings whose
    /// devices lie on the path, and marks those hops.
    public var devices: [String]
    /// Across hosts: the host the finding is about; `nil` for one host, and for findings
    /// that join both halves (`crosshost.*`).
    public var host: String?

    public init(check: String, severity: Severity, subject: String, explanation: String,
                evidence: [Evidence], fix: String, devices: [String] = [], host: String? = nil) {
        self.check = check
        self.severity = severity
        self.subject = subject
        self.explanation = explanation
        self.evidence = evidence
        self.fix = fix
        self.devices = devices
        self.host = host
    }

    /// The first sentence of the explanation.
    public var headline: String {
        if let end = explanation.firstRange(of: ". ") {
            return String(explanation[..<end.lowerBound])
        }
        return explanation.hasSuffix(".") ? String(explanation.dropLast()) : explanation
    }
}
