import Foundation
import JWTKit

/// Checks a signed config before anything of it is used.
///
/// In order: three base64url parts; the header's `alg` is on the allow-list (ES256 only: no
/// `none`, no HMAC keyed with a public key); its `kid` names a key pinned at enrollment; the
/// signature verifies with that key alone; the schema is known; `aud` is this endpoint's CN;
/// `nbf` and `exp` hold (60 s leeway); the version is not lower than the one in force.
public struct SignedConfigVerifier: Sendable {
    /// The only algorithms accepted.
    public static let allowedAlgorithms: Set<String> = ["ES256"]
    /// Clock difference tolerated on nbf and exp.
    public static let leeway: TimeInterval = 60

    private let keys: [String: ES256PublicKey]
    private let audience: String

    /// - Parameters:
    ///   - pinnedKeys: kid -> PEM public key, as received at enrollment.
    ///   - audience: this endpoint's CN.
    public init(pinnedKeys: [String: String], audience: String) throws {
        var keys: [String: ES256PublicKey] = [:]
        for (kid, pem) in pinnedKeys {
            keys[kid] = try ES256PublicKey(pem: pem)
        }
        self.keys = keys
        self.audience = audience
    }

    /// - Parameters:
    ///   - inForceVersion: the version in force; a lower one is a rollback.
    ///   - checkValidityWindow: false only when re-reading the config already in force from disk
    ///     at start (it was checked when it arrived; the last good config stays in force).
    public func verify(_ token: String, inForceVersion: Int64?, now: Date = Date(), checkValidityWindow: Bool = true) async -> Result<AgentConfigClaims, ConfigRejection> {
        let trimmed = token.trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = trimmed.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty, !parts[2].isEmpty else {
            return .failure(.malformed("expected three non-empty parts"))
        }
        guard let headerData = Base64URL.decode(String(parts[0])),
              let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any]
        else {
            return .failure(.malformed("header is not base64url JSON"))
        }
        guard let algorithm = header["alg"] as? String else { return .failure(.malformed("no alg in header")) }
        guard Self.allowedAlgorithms.contains(algorithm) else { return .failure(.algorithmNotAllowed(algorithm)) }
        guard let kid = header["kid"] as? String else { return .failure(.unknownKey("(none)")) }
        guard let key = self.keys[kid] else { return .failure(.unknownKey(kid)) }

        // Verify the signature with the one pinned key, before reading any claim.
        let collection = JWTKeyCollection()
        await collection.add(ecdsa: key, kid: JWKIdentifier(string: kid))
        do {
            _ = try await collection.verify(trimmed, as: SchemaProbe.self)
        } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
            return .failure(.badSignature)
        } catch {
            // A payload without a schema number is not ours; a bad signature also lands here
            // when the payload cannot be decoded at all.
            return .failure(.malformed("\(error)"))
        }

        guard let payloadData = Base64URL.decode(String(parts[1])) else { return .failure(.malformed("payload is not base64url")) }
        guard let probe = try? JSONDecoder().decode(SchemaProbe.self, from: payloadData) else {
            return .failure(.malformed("payload has no schema"))
        }
        guard probe.schema == AgentConfigClaims.currentSchema else { return .failure(.unknownSchema(probe.schema)) }
        let claims: AgentConfigClaims
        do {
            claims = try JSONDecoder().decode(AgentConfigClaims.self, from: payloadData)
        } catch {
            return .failure(.malformed("payload does not match schema \(probe.schema): \(error)"))
        }
        guard claims.audience == self.audience else {
            return .failure(.wrongAudience(expected: self.audience, got: claims.audience))
        }
        if checkValidityWindow {
            guard now.addingTimeInterval(Self.leeway) >= claims.notBefore else { return .failure(.notYetValid(claims.notBefore)) }
            guard now.addingTimeInterval(-Self.leeway) < claims.expiresAt else { return .failure(.expired(claims.expiresAt)) }
        }
        if let inForceVersion, claims.version < inForceVersion {
            return .failure(.rollback(inForce: inForceVersion, offered: claims.version))
        }
        return .success(claims)
    }

    /// Decodes only the schema number, so any payload with one can be signature-checked.
    private struct SchemaProbe: JWTPayload {
        var schema: Int
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }
}
