import NIOConcurrencyHelpers

/// Counters of the agent's intercept: connections carried to the router and how they ended.
public final class InterceptStatistics: Sendable {
    /// A snapshot.
    public struct Counts: Sendable, Equatable, Codable {
        public var accepted = 0
        public var open = 0
        public var routerFailures = 0
        public var bytesSent = 0
        public var bytesReceived = 0
        public var listeners = 0
        /// Connections closed unused because their local user is not allowed (owner check).
        public var ownerRefusals = 0
        /// Connections closed unused because the kernel could not name their local user.
        public var ownerUnknown = 0
    }

    private let counts = NIOLockedValueBox(Counts())

    public init() {}

    func accepted() { self.counts.withLockedValue { $0.accepted += 1; $0.open += 1 } }
    func closed() { self.counts.withLockedValue { $0.open -= 1 } }
    func routerFailed() { self.counts.withLockedValue { $0.routerFailures += 1 } }
    func finished(sent: Int, received: Int) { self.counts.withLockedValue { $0.bytesSent += sent; $0.bytesReceived += received } }
    func ownerRefused() { self.counts.withLockedValue { $0.ownerRefusals += 1 } }
    func ownerUnknown() { self.counts.withLockedValue { $0.ownerUnknown += 1 } }
    func listeners(_ count: Int) { self.counts.withLockedValue { $0.listeners = count } }

    public var current: Counts { self.counts.withLockedValue { $0 } }
}
