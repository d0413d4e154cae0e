/// A file of the agent's state (or configuration) that cannot be used: one line naming the file
/// and what is wrong, with the error that caused it kept.
public enum AgentStateFileError: Error, CustomStringConvertible, Sendable {
    /// The file could not be read (missing, unreadable, a directory...).
    case unreadable(path: String, cause: any Error)
    /// The file was read but its content is not what it must be (`expected` says what).
    case malformed(path: String, expected: String, cause: any Error)

    /// The file involved.
    public var path: String {
        switch self {
        case .unreadable(let path, _), .malformed(let path, _, _): return path
        }
    }

    /// The error that caused it.
    public var cause: any Error {
        switch self {
        case .unreadable(_, let cause), .malformed(_, _, let cause): return cause
        }
    }

    public var description: String {
        switch self {
        case .unreadable(let path, let cause):
            return "cannot read \(path): \(ErrorSummary.line(cause))"
        case .malformed(let path, let expected, let cause):
            return "\(path) is not \(expected): \(ErrorSummary.line(cause))"
        }
    }
}
