/// Why a string is not an enrollment token, found while reading its claims without verifying
/// them (``EnrollmentTokenClaims/unverified(_:)``).
public struct EnrollmentTokenFormatError: Error, Equatable, Sendable, CustomStringConvertible {
    /// One line for the operator, e.g. "the API URL is not https".
    public var reason: String

    public init(reason: String) {
        self.reason = reason
    }

    public var description: String { "not an enrollment token: \(self.reason)" }
}
