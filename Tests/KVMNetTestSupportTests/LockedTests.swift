import Foundation
import KVMNetLock
import Testing

/// KVMNetLock.Locked: mutual exclusion (the count of many threads' increments is exact),
/// typed errors through `withLock`, and the lock released when the body throws. Under
/// ThreadSanitizer (scripts/test tsan, no race suppressed) these threads' accesses are
/// checked, which they were not behind Synchronization's Mutex.
@Suite struct LockedTests {
    struct Refused: Error, Equatable { var at: Int }

    @Test func incrementsFromManyThreadsAreAllCounted() {
        let counter = Locked(0)
        let threads = 8, rounds = 20_000
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            for _ in 0..<rounds { counter.withLock { $0 += 1 } }
        }
        #expect(counter.withLock { $0 } == threads * rounds)
    }

    @Test func aTypedErrorPassesThroughAndTheLockIsReleased() {
        let value = Locked([Int]())
        #expect(throws: Refused(at: 1)) {
            try value.withLock { (list: inout [Int]) throws(Refused) in
                list.append(1)
                throw Refused(at: list.count)
            }
        }
        // Released after the throw: a second withLock neither deadlocks nor loses the write.
        #expect(value.withLock { $0 } == [1])
    }

    @Test func theBodysResultIsReturned() {
        let names = Locked(["b": 2, "a": 1])
        let sorted = names.withLock { $0.keys.sorted() }
        #expect(sorted == ["a", "b"])
    }
}
