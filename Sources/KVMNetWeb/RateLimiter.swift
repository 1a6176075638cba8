import KVMNetLock
/// A token bucket: `burst` requests at once, then one per `interval` (exporter-toolkit's
/// `rate_limit`, golang.org/x/time/rate semantics).
final class RateLimiter: Sendable {
    let config: RateLimitConfig
    private let bucket: Locked<(tokens: Double, at: Double)>

    init(_ config: RateLimitConfig, now: Double = monotonicNow()) {
        self.config = config
        bucket = Locked((Double(config.burst), now))
    }

    /// Takes a token if there is one.
    func allow(now: Double = monotonicNow()) -> Bool {
        bucket.withLock { b in
            let refill = (now - b.at) / config.intervalSeconds
            b.tokens = min(Double(config.burst), b.tokens + max(0, refill))
            b.at = now
            guard b.tokens >= 1 else { return false }
            b.tokens -= 1
            return true
        }
    }
}
