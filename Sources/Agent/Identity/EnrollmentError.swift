/// Why `ztagent enroll` (or a renewal) stopped. Each is one clear line for the operator.
public enum EnrollmentError: Error, CustomStringConvertible, Sendable {
    case notAToken(String)
    case tokenExpired(String)
    case alreadyEnrolled(String)
    case stateNotWritable(String)
    case fingerprintMismatch(expected: String, presented: String)
    case badAnswer(String)
    case refused(String)
    case unreachable(String)

    public var description: String {
        switch self {
        case .notAToken(let why): return "not an enrollment token: \(why)"
        case .tokenExpired(let when): return "the enrollment token expired at \(when); ask for a new one"
        case .alreadyEnrolled(let path): return "already enrolled (\(path) exists); use --force to replace the identity"
        case .stateNotWritable(let why): return "state directory not writable: \(why)"
        case .fingerprintMismatch(let expected, let presented):
            return "the server's CA fingerprint \(presented) does not match the token's \(expected); nothing was sent"
        case .badAnswer(let why): return "the server's answer is unacceptable: \(why)"
        case .refused(let why): return "enrollment refused: \(why)"
        case .unreachable(let why): return "enrollment server unreachable: \(why)"
        }
    }
}
