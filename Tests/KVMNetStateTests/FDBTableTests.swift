import KVMNetModel
@testable import KVMNetState
import Testing

/// The compact FDB store must behave as the dictionary of whole entries it replaced.
@Suite struct FDBTableTests {
    /// Full-width MACs and VLANs survive the packing.
    @Test func entriesRoundTripThroughThePackedWords() {
        let entries = [
            Make.fdb(0xFFFF_FFFF_FFFF, bridge: 1, port: 2, kind: .local, vlan: 4095),
            Make.fdb(0, bridge: 1, port: 1, kind: .static, vlan: 0),
            Make.fdb(0x0200_0000_0001, bridge: Int32.max, port: Int32.max, kind: .learned, vlan: 0xFFFF),
        ]
        let t = FDBTable(entries)
        #expect(t.count == 3)
        for e in entries { #expect(t[e.key] == e) }
        #expect(Set(t.entries) == Set(entries))
    }

    /// Random inserts, replacements, removals and device deletions, checked step by step
    /// against a plain dictionary of entries.
    @Test func behavesAsADictionaryOfEntries() {
        var rng = XorShift(state: 0x2545_F491_4F6C_DD1D)
        var table = FDBTable()
        var reference: [FDBEntry.Key: FDBEntry] = [:]
        for step in 0..<20_000 {
            let bridge = Int32(1 + rng.next() % 3)
            let e = Make.fdb(rng.next() % 64, bridge: bridge, port: Int32(10 + rng.next() % 5),
                             kind: FDBEntryKind.allCases[Int(rng.next() % 3)], vlan: UInt16(rng.next() % 3))
            switch rng.next() % 10 {
            case 0..<6:
                #expect(table.insert(e) == reference.updateValue(e, forKey: e.key))
            case 6..<9:
                #expect(table.remove(e.key) == reference.removeValue(forKey: e.key))
            default:
                let index: Int32 = rng.next() % 2 == 0 ? bridge : e.portIndex
                let gone = table.removeAll(touching: index)
                let expected = reference.values.filter { $0.bridgeIndex == index || $0.portIndex == index }
                for x in expected { reference[x.key] = nil }
                #expect(Set(gone) == Set(expected), "step \(step)")
            }
            #expect(table.count == reference.count, "step \(step)")
        }
        #expect(Set(table.entries) == Set(reference.values))
        #expect(table.counts == FDBCounts(tallying: Array(reference.values)))
    }
}

/// xorshift64: deterministic, so a failing step can be replayed.
struct XorShift {
    var state: UInt64
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}
