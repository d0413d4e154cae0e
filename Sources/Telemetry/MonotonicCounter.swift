import NIOConcurrencyHelpers
import Prometheus

/// A Prometheus counter fed from a running total kept elsewhere (an atomic on a hot path):
/// each ``update(to:)`` adds what the total grew by since the last scrape.
public final class MonotonicCounter: Sendable {
    private let counter: Counter
    private let last = NIOLockedValueBox<Int64>(0)

    public init(_ counter: Counter) {
        self.counter = counter
    }

    public func update(to total: Int) {
        let delta = self.last.withLockedValue { last -> Int64 in
            let value = Int64(total)
            defer { last = max(last, value) }
            return max(0, value - last)
        }
        if delta > 0 { self.counter.increment(by: delta) }
    }
}
