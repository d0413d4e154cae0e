import Foundation

/// Why a signed config was refused. The last good config stays in force.
public enum ConfigRejection: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String)
    case algorithmNotAllowed(String)
    case unknownKey(String)
    case badSignature
    case wrongAudience(expected: String, got: String)
    case expired(Date)
    case notYetValid(Date)
    case rollback(inForce: Int64, offered: Int64)
    case unknownSchema(Int)

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
