import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// The server could not start a listener.
public enum ServerStartError: Error, CustomStringConvertible, Sendable {
    case apiFailed(address: String, reason: String)
    /// A listener could not bind its address (in use, not local, no permission); the cause is
    /// the system's error.
    case bindFailed(listener: String, address: String, cause: any Error)

    public var description: String {
        switch self {
        case .apiFailed(let address, let reason): return "cannot serve the enrollment API on \(address): \(reason)"
        case .bindFailed(let listener, let address, let cause): return "cannot listen for \(listener) on \(address): \(Self.reason(cause))"
        }
    }

    /// The system's words for a bind failure ("Address already in use (errno: 98)"), without
    /// NIO's call description.
    static func reason(_ error: any Error) -> String {
        if let io = error as? IOError { return "\(String(cString: strerror(io.errnoCode))) (errno \(io.errnoCode))" }
        return "\(error)"
    }
}
