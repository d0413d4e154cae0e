import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Why `ztagent status` got no status from the control socket. Each case is one line naming the
/// socket; the error that caused it is kept.
public enum ControlSocketError: Error, CustomStringConvertible, Sendable {
    /// Nothing accepted the connection: no socket there, a stale socket of an agent that died,
    /// or a path that cannot be a socket.
    case notRunning(path: String, cause: any Error)
    /// Something accepted the connection but sent no complete answer in time.
    case noAnswer(path: String, seconds: Int)
    /// An answer came that is not an agent status.
    case notAStatus(path: String, cause: any Error)

    public var description: String {
        switch self {
        case .notRunning(let path, let cause):
            return "no running agent at \(path.isEmpty ? "''" : path) (\(Self.reason(cause)))"
        case .noAnswer(let path, let seconds):
            return "no answer from the control socket \(path) within \(seconds) s (is it an agent's control socket?)"
        case .notAStatus(let path, let cause):
            return "the control socket \(path) answered something that is not an agent status (\(ErrorSummary.line(cause)))"
        }
    }

    private static func reason(_ cause: any Error) -> String {
        if let io = cause as? IOError {
            return String(cString: strerror(io.errnoCode))
        }
        if let address = cause as? SocketAddressError {
            switch address {
            case .unixDomainSocketPathTooLong: return "the path is too long for a Unix socket"
            default: return "not a usable socket path: \(address)"
            }
        }
        return ErrorSummary.line(cause)
    }
}
