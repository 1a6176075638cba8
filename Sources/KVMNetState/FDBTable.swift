import KVMNetModel

/// The bridge forwarding database held in memory, compactly: one table per bridge, from
/// MAC and VLAN packed into one word to the port and kind (8 bytes).
///
/// 100,000 entries take about 16 bytes each in their tables (2.6 MB when spread over ten
/// bridges), where one dictionary of whole ``FDBEntry`` values took 40 bytes per bucket
/// (10.5 MB). A deleted bridge drops its table at once, and a deleted port is looked for
/// in its bridge's table only.
struct FDBTable: Sendable {
    /// Where an entry points: the port (the bridge itself for entries without one) and kind.
    struct Slot: Sendable, Hashable {
        var portIndex: Int32
        var kind: FDBEntryKind
    }

    private var tables: [Int32: [UInt64: Slot]] = [:]
    /// Entries held, all bridges.
    private(set) var count = 0

    init() {}

    /// A table holding `entries` (a later entry with the same key replaces an earlier one).
    init<S: Sequence>(_ entries: S) where S.Element == FDBEntry {
        for e in entries { insert(e) }
    }

    /// MAC (48 bits) and VLAN id (12 bits, 0 for none) as one word.
    static func word(mac: UInt64, vlan: UInt16) -> UInt64 { (mac << 16) | UInt64(vlan) }

    static func entry(bridge: Int32, word: UInt64, slot: Slot) -> FDBEntry {
        FDBEntry(mac: word >> 16, vlan: UInt16(truncatingIfNeeded: word), bridgeIndex: bridge,
                 portIndex: slot.portIndex, kind: slot.kind)
    }

    subscript(key: FDBEntry.Key) -> FDBEntry? {
        let w = Self.word(mac: key.mac, vlan: key.vlan)
        return tables[key.bridgeIndex]?[w].map { Self.entry(bridge: key.bridgeIndex, word: w, slot: $0) }
    }

    /// Stores `e`, returning the entry it replaced.
    @discardableResult
    mutating func insert(_ e: FDBEntry) -> FDBEntry? {
        let w = Self.word(mac: e.mac, vlan: e.vlan)
        let old = tables[e.bridgeIndex, default: [:]].updateValue(Slot(portIndex: e.portIndex, kind: e.kind), forKey: w)
        if old == nil { count += 1 }
        return old.map { Self.entry(bridge: e.bridgeIndex, word: w, slot: $0) }
    }

    /// Removes the entry under `key`, returning it.
    @discardableResult
    mutating func remove(_ key: FDBEntry.Key) -> FDBEntry? {
        let w = Self.word(mac: key.mac, vlan: key.vlan)
        guard let slot = tables[key.bridgeIndex]?.removeValue(forKey: w) else { return nil }
        count -= 1
        if tables[key.bridgeIndex]?.isEmpty == true { tables[key.bridgeIndex] = nil }
        return Self.entry(bridge: key.bridgeIndex, word: w, slot: slot)
    }

    /// Removes every entry of the bridge or port with ifindex `index`, returning them.
    mutating func removeAll(touching index: Int32) -> [FDBEntry] {
        var gone: [FDBEntry] = []
        if let table = tables.removeValue(forKey: index) {
            gone.reserveCapacity(table.count)
            for (w, slot) in table { gone.append(Self.entry(bridge: index, word: w, slot: slot)) }
        }
        for bridge in Array(tables.keys) {
            // Taken out while edited, so the table is not copied.
            var table = tables.removeValue(forKey: bridge)!
            let words = table.compactMap { $0.value.portIndex == index ? $0.key : nil }
            for w in words {
                gone.append(Self.entry(bridge: bridge, word: w, slot: table.removeValue(forKey: w)!))
            }
            if !table.isEmpty { tables[bridge] = table }
        }
        count -= gone.count
        return gone
    }

    /// Calls `body` with every entry, in no particular order.
    func forEach(_ body: (FDBEntry) -> Void) {
        for (bridge, table) in tables {
            for (w, slot) in table { body(Self.entry(bridge: bridge, word: w, slot: slot)) }
        }
    }

    /// Every entry, in no particular order.
    var entries: [FDBEntry] {
        var out: [FDBEntry] = []
        out.reserveCapacity(count)
        forEach { out.append($0) }
        return out
    }

    /// Entry counts per bridge, port and kind.
    var counts: FDBCounts {
        var c = FDBCounts()
        forEach { c.add($0) }
        return c
    }
}
