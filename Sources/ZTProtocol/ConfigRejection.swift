import Foundation

/// Why a signed config was refused. The last good config stays in force.
public enum ConfigRejection: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not three base64url parts with a JSON header and a claims payload of a known shape.
    case malformed(String)
    /// The header's `alg` is not on ``SignedConfigVerifier/allowedAlgorithms``.
    case algorithmNotAllowed(String)
    /// The header's `kid` (or "(none)") names no pinned key.
    case unknownKey(String)
    /// The signature does not verify with the pinned key the `kid` names.
    case badSignature
    /// The config is for another endpoint.
    case wrongAudience(expected: String, got: String)
    /// `exp` has passed (beyond the leeway).
    case expired(Date)
    /// `nbf` is still ahead (beyond the leeway).
    case notYetValid(Date)
    /// The version is lower than the one in force.
    case rollback(inForce: Int64, offered: Int64)
    /// The payload's schema number is not ``AgentConfigClaims/currentSchema``.
    case unknownSchema(Int)

    /// Every ``reason`` label, so counters keyed by it can be exported at 0 before any refusal.
    /// (Keep in step with ``reason``: ConfigRejection's tests check each case's label is here.)
    public static let reasons = ["malformed", "algorithm_not_allowed", "unknown_key", "bad_signature", "wrong_audience", "expired", "not_yet_valid", "rollback", "unknown_schema"]

    /// A short stable label, for counters and logs.
    public var reason: String {
        switch self {
        case .malformed: return "malformed"
        case .algorithmNotAllowed: return "algorithm_not_allowed"
        case .unknownKey: return "unknown_key"
        case .badSignature: return "bad_signature"
        case .wrongAudience: return "wrong_audience"
        case .expired: return "expired"
        case .notYetValid: return "not_yet_valid"
        case .rollback: return "rollback"
        case .unknownSchema: return "unknown_schema"
        }
    }

    /// One sentence for logs and `ztagent status`.
    public var description: String {
        switch self {
        case .malformed(let why): return "config is not a well-formed JWT: \(why)"
        case .algorithmNotAllowed(let alg): return "config signed with algorithm '\(alg)', only ES256 is accepted"
        case .unknownKey(let kid): return "config signed by key '\(kid)', which is not a pinned signing key"
        case .badSignature: return "config signature does not verify"
        case .wrongAudience(let expected, let got): return "config is for '\(got)', not for this endpoint '\(expected)'"
        case .expired(let date): return "config expired at \(date)"
        case .notYetValid(let date): return "config not valid before \(date)"
        case .rollback(let inForce, let offered): return "config version \(offered) is lower than version \(inForce) in force (rollback refused)"
        case .unknownSchema(let schema): return "config schema \(schema) is unknown to this agent"
        }
    }
}
