import KVMNetLock

/// The rendered families of one collector and the input they were made from, kept while
/// the input stays equal: a render then costs building and comparing the input, not
/// collecting, sorting and writing the families again.
///
/// The input must be everything the families are made of (the collector makes them from
/// the input alone), so equal inputs mean equal bytes; the cache never serves bytes of
/// another input. Thread-safe: two renders at once may both make the families, and the
/// later one is kept.
final class RenderedFamilyCache<Input: Equatable & Sendable>: Sendable {
    private struct Entry: Sendable {
        var input: Input
        var families: [RenderedFamily]
    }

    private struct State: Sendable {
        var entry: Entry?
        var hits = 0
        var misses = 0
    }

    private let state = Locked(State())

    /// The families for `input`: kept ones if `input` equals the last one, else `make(input)` rendered (and kept).
    func rendered(for input: Input, _ make: (Input) -> [MetricFamily]) -> [RenderedFamily] {
        let kept = state.withLock { $0.entry }
        if let kept, kept.input == input {
            state.withLock { $0.hits += 1 }
            return kept.families
        }
        let families = make(input).map(RenderedFamily.init)
        state.withLock { s in
            s.entry = Entry(input: input, families: families)
            s.misses += 1
        }
        return families
    }

    /// Renders served from the cache, and renders that made the families (for tests).
    var statistics: (hits: Int, misses: Int) { state.withLock { ($0.hits, $0.misses) } }
}
