/// Why a listener closed a connection before serving it.
public enum ConnectionRefusalReason: String, Sendable, Hashable, CaseIterable {
    /// The source address already holds its share of unauthenticated connections.
    case sourceLimit = "source_limit"
    /// Only the reserve for new source addresses is left, and this address already has a
    /// connection waiting.
    case reserveHeld = "reserve_held"
    /// Every unauthenticated slot is taken.
    case unauthenticatedLimit = "unauthenticated_limit"
    /// The identity (CN) already holds its share of connections.
    case identityLimit = "identity_limit"
    /// The handshake (and for HTTP the request headers) did not complete in time.
    case handshakeTimeout = "handshake_timeout"

    /// Words for a log line.
    public var explanation: String {
        switch self {
        case .sourceLimit: return "too many connections in handshake from this address"
        case .reserveHeld: return "listener nearly full; reserve kept for other addresses"
        case .unauthenticatedLimit: return "too many connections in handshake"
        case .identityLimit: return "too many connections for this identity"
        case .handshakeTimeout: return "handshake not completed in time"
        }
    }
}
