import Foundation

extension DiagReport {
    /// The report as the stable JSON of docs/diag-json.md: keys sorted, pretty-printed.
    /// The agent's `/diagnose` serves exactly these bytes.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}

extension DiagSnapshot {
    /// The snapshot as written by `kvmnet-diag snapshot -o FILE`.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Reads a snapshot written by `kvmnet-diag snapshot` (or by the agent).
    public static func decode(_ data: Data) throws -> DiagSnapshot {
        try JSONDecoder().decode(DiagSnapshot.self, from: data)
    }
}
