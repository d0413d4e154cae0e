/// The registry could not be read or written.
public enum RegistryError: Error, CustomStringConvertible, Sendable {
    case unavailable(path: String, reason: String)
    case failed(String)

    public var description: String {
        switch self {
        case .unavailable(let path, let reason): return "cannot open registry \(path): \(reason)"
        case .failed(let reason): return "registry error: \(reason)"
        }
    }
}
