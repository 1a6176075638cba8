import KVMNetState
import KVMNetLock

/// MAC moves per bridge over a recent window, for the diagnosis's `bridge.mac_flapping`:
/// the cumulative counters are sampled at each rescan tick, and the moves in the window
/// are the difference between now and the oldest sample still inside it.
final class FDBMoveWindow: Sendable {
    struct Sample {
        var time: Double
        var moves: [String: UInt64]
    }

    let windowSeconds: Double
    private let samples = Locked<[Sample]>([])

    init(windowSeconds: Double = 300) {
        self.windowSeconds = windowSeconds
    }

    /// Records the counters as they are now.
    func record(_ moves: [String: UInt64], at now: Double) {
        samples.withLock { s in
            s.append(Sample(time: now, moves: moves))
            s.removeAll { now - $0.time > windowSeconds }
        }
    }

    /// Moves per bridge between the oldest sample in the window and `current`, and the
    /// window's actual length. A bridge not in the oldest sample counts from zero.
    func moves(current: [String: UInt64], now: Double) -> (counts: [String: UInt64], seconds: Double) {
        samples.withLock { s in
            guard let oldest = s.first(where: { now - $0.time <= windowSeconds }) else {
                return (current, 0)
            }
            var out: [String: UInt64] = [:]
            for (bridge, n) in current {
                let before = oldest.moves[bridge] ?? 0
                out[bridge] = n >= before ? n - before : n
            }
            return (out, now - oldest.time)
        }
    }
}
