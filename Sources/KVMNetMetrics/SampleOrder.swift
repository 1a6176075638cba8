#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The exposition's order of a family's samples: by their label values, compared as a
/// sequence (first value, then second, ...), ties kept in their original order.
///
/// Each sample's values are laid out once as one byte key, the values joined by a 0 byte
/// (which no label value holds, and which sorts before every other byte, so a value that
/// is a prefix of another sorts first, as in the sequence comparison); keys are then
/// compared with `memcmp`. UTF-8 byte order is Unicode scalar order, the order of
/// `String` for the normalised text the kernel and libvirt give.
enum SampleOrder {
    /// Indices into `samples`, in exposition order.
    static func indices(of samples: [Sample]) -> [Int] {
        if samples.count < 2 { return Array(samples.indices) }
        var keys: [UInt8] = []
        keys.reserveCapacity(samples.count * 24)
        var bounds: [(start: Int, end: Int)] = []
        bounds.reserveCapacity(samples.count)
        for s in samples {
            let start = keys.count
            for (i, l) in s.labels.enumerated() {
                if i > 0 { keys.append(0) }
                keys.append(contentsOf: l.value.utf8)
            }
            bounds.append((start, keys.count))
        }
        var order = Array(samples.indices)
        keys.withUnsafeBufferPointer { k in
            let base = k.baseAddress
            func precedes(_ a: Int, _ b: Int) -> Bool {
                let (sa, ea) = bounds[a], (sb, eb) = bounds[b]
                let la = ea - sa, lb = eb - sb
                let c = la == 0 || lb == 0 ? 0 : memcmp(base! + sa, base! + sb, min(la, lb))
                if c != 0 { return c < 0 }
                if la != lb { return la < lb }
                return a < b
            }
            // Collectors that walk their subjects in name order give sorted input: one
            // pass tells, and the sort is skipped.
            var sorted = true
            for i in 1..<order.count where !precedes(i - 1, i) {
                sorted = false
                break
            }
            if !sorted { order.sort(by: precedes) }
        }
        return order
    }
}
