import NIOConcurrencyHelpers

/// The router's counters: connections and bytes by service, refusals by reason, open tunnels.
public final class RouterStatistics: Sendable {
    /// Per service (route name).
    public struct Service: Sendable, Equatable {
        public var connections = 0
        public var bytesFromClients = 0
        public var bytesFromBackend = 0
        public var backendFailures = 0
    }

    private struct State {
        var services: [String: Service] = [:]
        var refusals: [String: Int] = [:]
        var open = 0
        var openByListener: [String: Int] = [:]
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    func opened(listener: String) {
        self.state.withLockedValue {
            $0.open += 1
            $0.openByListener[listener, default: 0] += 1
        }
    }

    func closed(listener: String) {
        self.state.withLockedValue {
            $0.open -= 1
            $0.openByListener[listener, default: 0] -= 1
        }
    }

    func refused(_ reason: String) {
        self.state.withLockedValue { $0.refusals[reason, default: 0] += 1 }
    }

    func routed(service: String) {
        self.state.withLockedValue { $0.services[service, default: Service()].connections += 1 }
    }

    func backendFailed(service: String) {
        self.state.withLockedValue { $0.services[service, default: Service()].backendFailures += 1 }
    }

    func finished(service: String, fromClient: Int, fromBackend: Int) {
        self.state.withLockedValue {
            $0.services[service, default: Service()].bytesFromClients += fromClient
            $0.services[service, default: Service()].bytesFromBackend += fromBackend
        }
    }

    /// Connections open now on either listener (accepted, not yet closed).
    public var openConnections: Int { self.state.withLockedValue { $0.open } }
    /// Open connections by listener ("tunnel", "passthrough", "reverse").
    public var openByListener: [String: Int] { self.state.withLockedValue { $0.openByListener } }
    /// Per-service counts.
    public var services: [String: Service] { self.state.withLockedValue { $0.services } }
    /// Refused connections by reason.
    public var refusals: [String: Int] { self.state.withLockedValue { $0.refusals } }
}
