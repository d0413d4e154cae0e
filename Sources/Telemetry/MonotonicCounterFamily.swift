import NIOConcurrencyHelpers
import Prometheus

/// ``MonotonicCounter``s of one metric name, one per label set, made on first use (labels
/// that depend on state, such as a service's name).
public final class MonotonicCounterFamily: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let name: String
    private let counters = NIOLockedValueBox<[[String]: MonotonicCounter]>([:])

    public init(registry: PrometheusCollectorRegistry, name: String) {
        self.registry = registry
        self.name = name
    }

    /// Feeds the running `total` for these labels.
    public func update(_ labels: [(String, String)], to total: Int) {
        let key = labels.flatMap { [$0.0, $0.1] }
        let counter = self.counters.withLockedValue { counters -> MonotonicCounter in
            if let existing = counters[key] { return existing }
            let made = MonotonicCounter(self.registry.makeCounter(name: self.name, labels: labels))
            counters[key] = made
            return made
        }
        counter.update(to: total)
    }
}
