/// The metrics endpoint could not be served.
public enum MetricsServerError: Error, CustomStringConvertible, Sendable {
    case notLoopback(String)
    /// Binding the address failed; `reason` is the system's or the server's error.
    case bindFailed(String, reason: String)

    public var description: String {
        switch self {
        case .notLoopback(let host): return "metrics listen address \(host) is not loopback"
        case .bindFailed(let address, let reason): return "cannot serve metrics on \(address): \(reason)"
        }
    }
}
