/// The registry could not be read or written.
public enum RegistryError: Error, CustomStringConvertible, Sendable {
    case unavailable(path: String, reason: String)
    case failed(String)
    /// The name is already an endpoint; replacing it needs `--replace`.
    case endpointExists(String)
    /// A certificate serial was about to be bound a second time (never happens with random
    /// 20-byte serials; refused rather than reviving an old binding).
    case serialReused(String)

    public var description: String {
        switch self {
        case .unavailable(let path, let reason): return "cannot open registry \(path): \(reason)"
        case .failed(let reason): return "registry error: \(reason)"
        case .endpointExists(let name): return "endpoint '\(name)' exists; pass --replace to re-enroll it with a new certificate"
        case .serialReused(let serial): return "certificate serial \(serial) was issued before; refusing to bind it again"
        }
    }
}
