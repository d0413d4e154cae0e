/// The server could not start a listener.
public enum ServerStartError: Error, CustomStringConvertible, Sendable {
    case apiFailed(address: String, reason: String)

    public var description: String {
        switch self {
        case .apiFailed(let address, let reason): return "cannot serve the enrollment API on \(address): \(reason)"
        }
    }
}
