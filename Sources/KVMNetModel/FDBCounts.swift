/// Entry counts of every bridge's FDB keyed by ifindexes, kept incrementally by the state
/// and turned into per-bridge ``FDBSummary`` values by ``TopologyBuilder``.
public struct FDBCounts: Sendable, Hashable, Codable {
    public struct Key: Sendable, Hashable, Codable {
        public var bridgeIndex: Int32
        public var portIndex: Int32
        public var kind: FDBEntryKind
        public init(bridgeIndex: Int32, portIndex: Int32, kind: FDBEntryKind) {
            self.bridgeIndex = bridgeIndex
            self.portIndex = portIndex
            self.kind = kind
        }
    }

    public private(set) var counts: [Key: Int] = [:]

    public init() {}

    /// Counts a list of entries.
    public init(tallying entries: [FDBEntry]) {
        for e in entries { add(e) }
    }

    public mutating func add(_ e: FDBEntry) {
        counts[Key(bridgeIndex: e.bridgeIndex, portIndex: e.portIndex, kind: e.kind), default: 0] += 1
    }

    public mutating func remove(_ e: FDBEntry) {
        let k = Key(bridgeIndex: e.bridgeIndex, portIndex: e.portIndex, kind: e.kind)
        guard let n = counts[k] else { return }
        counts[k] = n > 1 ? n - 1 : nil
    }

    public var total: Int { counts.values.reduce(0, +) }
}
