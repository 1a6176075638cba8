extension DiagReport {
    /// The report as the stable JSON of docs/diag-json.md: keys sorted, pretty-printed.
    /// The agent's `/diagnose` serves exactly these bytes.
    public func jsonBytes() throws -> [UInt8] {
        try JSONOutput.encode(self)
    }
}

extension DiagSnapshot {
    /// The snapshot as written by `kvmnet-diag snapshot -o FILE` (read back by
    /// `kvmnet-diag --snapshot FILE`, which decodes it with Foundation).
    public func jsonBytes() throws -> [UInt8] {
        try JSONOutput.encode(self)
    }
}
