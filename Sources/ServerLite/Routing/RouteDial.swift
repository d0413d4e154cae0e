/// How the router reaches a route's backend.
public enum RouteDial: String, Codable, Sendable, Hashable, CaseIterable {
    /// Dial `host:port` (an address, or a name resolved at dial time).
    case address
    /// Dial the name the client asked for (SNI), resolved to AAAA/A at dial time, on the
    /// route's port: the rpx model for backends with their own public names.
    case resolve
    /// Ask the service agent, over the connection it holds to the router, to dial back; the
    /// backend needs no port the router can reach.
    case reverse
}
