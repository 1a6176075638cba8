import KVMNetMetrics
import Testing

/// The byte-key sample order must be the order of the label values compared as String
/// sequences (what the exposition promised before it rendered bytes).
@Suite struct SampleOrderTests {
    /// The reference: label values compared as a sequence of Strings.
    func reference(_ samples: [Sample]) -> [Sample] {
        samples.enumerated().sorted { a, b in
            let x = a.element.labels.map(\.value), y = b.element.labels.map(\.value)
            return x.lexicographicallyPrecedes(y) || (x == y && a.offset < b.offset)
        }.map(\.element)
    }

    @Test func prefixesEmptyValuesAndSecondLabelsSortAsStringSequences() {
        let values: [(String, String)] = [
            ("va1", "up"), ("va", "up"), ("va10", "down"), ("va1", "down"), ("", "x"), ("va", ""),
            ("vb", "a"), ("v", "zz"), ("va1", ""), ("é", "a"), ("e", "a"), ("Z", "a"), ("va1\u{1}", "a"),
        ]
        let samples = values.enumerated().map { Sample([("device", $0.element.0), ("to", $0.element.1)], .int(Int64($0.offset))) }
        #expect(ExpositionRenderer.sortedSamples(samples) == reference(samples))
        #expect(ExpositionRenderer.sortedSamples(samples.reversed()) == reference(samples.reversed()))
    }

    @Test func randomLabelSetsSortAsTheReference() {
        var rng = SplitMix(seed: 42)
        let alphabet = Array("ab01._-")
        for _ in 0..<200 {
            let n = Int(rng.next() % 40)
            let samples = (0..<n).map { i -> Sample in
                let labels = (0..<2).map { k -> (String, String) in
                    let len = Int(rng.next() % 4)
                    return ("l\(k)", String((0..<len).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }))
                }
                return Sample(labels, .int(Int64(i)))
            }
            #expect(ExpositionRenderer.sortedSamples(samples) == reference(samples))
        }
    }

    @Test func sortedInputKeepsItsOrderAndEqualKeysKeepTheirs() {
        let samples = (0..<50).map { Sample([("device", "dev\(1000 + $0 / 2)")], .int(Int64($0))) }
        #expect(ExpositionRenderer.sortedSamples(samples) == samples)
    }

    @Test func integersAndNegativesRenderExactly() {
        var f = MetricFamily(name: "x", help: "X.", type: .gauge)
        for (i, v) in [Int64.min, -1, 0, 9, 10, 1_000_000, Int64.max].enumerated() { f.add([("i", String(i))], .int(v)) }
        f.add([("i", "7")], UInt64.max)
        f.add([("i", "8")], 2.5)
        let lines = ExpositionRenderer.render([f]).split(separator: "\n").dropFirst(2).map(String.init)
        #expect(lines == [
            #"x{i="0"} -9223372036854775808"#, #"x{i="1"} -1"#, #"x{i="2"} 0"#, #"x{i="3"} 9"#,
            #"x{i="4"} 10"#, #"x{i="5"} 1000000"#, #"x{i="6"} 9223372036854775807"#,
            #"x{i="7"} 18446744073709551615"#, #"x{i="8"} 2.5"#,
        ])
    }

    @Test func nonASCIILabelValuesAreEscapedByteWise() {
        #expect(ExpositionRenderer.escapeLabelValue("vm-ü\"ß\\\n") == "vm-ü\\\"ß\\\\\\n")
        #expect(ExpositionRenderer.escapeLabelValue("plain") == "plain")
        #expect(ExpositionRenderer.escapeHelp("a \"quoted\" \\ help\n") == "a \"quoted\" \\\\ help\\n")
    }
}

/// A small deterministic generator, so a failure can be replayed.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
