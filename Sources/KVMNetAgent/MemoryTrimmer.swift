import Dispatch
import KVMNetLock
#if canImport(Glibc)
import CLibcShim
#endif

/// Returns freed heap pages to the kernel once the agent goes quiet: a render of
/// `/metrics` after a change frees a few MB of samples and labels, which glibc would
/// otherwise keep resident in its arenas (measured: about 1 MB at 1,000 links).
///
/// The trim runs ``quietPeriod`` seconds after the last request, on a queue of its own:
/// never on the scrape path, and not during a burst of changes, where it would only
/// contend for malloc's locks with the renders.
final class MemoryTrimmer: Sendable {
    let quietPeriod: Double
    private let requests = Locked<UInt64>(0)
    private let queue = DispatchQueue(label: "kvmnet.memory-trim")

    init(quietPeriod: Double = 2) { self.quietPeriod = quietPeriod }

    /// Asks for a trim after ``quietPeriod`` seconds without another request.
    func request() {
        let n = requests.withLock { r in
            r &+= 1
            return r
        }
        queue.asyncAfter(deadline: .now() + quietPeriod) { [self] in
            if requests.withLock({ $0 }) == n { releaseFreedMemory() }
        }
    }
}

/// Returns freed heap pages to the kernel (glibc `malloc_trim`, from `<malloc.h>` through
/// CLibcShim: the Glibc module does not export it).
func releaseFreedMemory() {
    #if canImport(Glibc)
    _ = malloc_trim(0)
    #endif
}
