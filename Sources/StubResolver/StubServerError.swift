import NIOCore

/// Why the stub could not start.
public enum StubServerError: Error, CustomStringConvertible, Sendable {
    /// A non-loopback address was configured without the explicit permission to bind it.
    case nonLoopbackAddress(String)
    /// No listen address was configured.
    case noListenAddress
    /// Binding failed (port in use, no permission for a port below 1024, ...).
    case bindFailed(address: String, reason: String)

    public var description: String {
        switch self {
        case .nonLoopbackAddress(let address):
            return "refusing to listen on non-loopback address \(address): the stub would answer the network; pass --allow-non-loopback (or allowNonLoopback: true) if that is intended"
        case .noListenAddress:
            return "no listen address configured"
        case .bindFailed(let address, let reason):
            return "cannot listen on \(address): \(reason)"
        }
    }
}
