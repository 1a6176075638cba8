#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value behind a `pthread_mutex_t`: the one lock of kvmnet's shared state.
///
/// Why not Synchronization's `Mutex`: on Linux it is a futex driven from
/// libswiftSynchronization, which is not instrumented, so ThreadSanitizer sees no
/// happens-before across `withLock` and reports every access to the guarded state (CI
/// failed on such a report in KVMNetSubprocess; the earlier workaround suppressed each
/// type that used a `Mutex`, which also hid real races in them). ThreadSanitizer
/// intercepts `pthread_mutex_lock`, so state behind `Locked` is checked like any other:
/// the suite runs under ThreadSanitizer with no race suppressed (Tests/Sanitizers).
///
/// The API is `Mutex`'s: ``withLock(_:)`` hands the value `inout` to a closure.
public final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    /// A lock around `value`.
    public init(_ value: Value) {
        self.value = value
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with the value, holding the lock; returns what `body` returns.
    public func withLock<T, E: Error>(_ body: (inout Value) throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
