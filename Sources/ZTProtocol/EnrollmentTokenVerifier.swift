import Foundation
import JWTKit

/// Checks an enrollment token presented at enrollment, as the server does before it issues
/// anything: the header's `alg` is ES256 and its `kid` is the server's token key, the signature
/// verifies with that key alone, and the token has not expired. Whether the token was used
/// before is the registry's to say, not this verifier's.
///
/// Every refusal is an ``APIErrorBody`` with ``APIErrorCode/tokenInvalid`` or
/// ``APIErrorCode/tokenExpired``, ready to send back.
public struct EnrollmentTokenVerifier: Sendable {
    /// The only algorithm accepted.
    public static let algorithm = "ES256"

    /// The token key's id, as the server writes it into every token's header.
    public let keyID: String
    private let key: ES256PublicKey

    /// - Parameters:
    ///   - keyID: the token key's id.
    ///   - publicKey: the token key's public half.
    public init(keyID: String, publicKey: ES256PublicKey) {
        self.keyID = keyID
        self.key = publicKey
    }

    /// - Parameters:
    ///   - keyID: the token key's id.
    ///   - publicKeyPEM: the token key's public half, PEM "PUBLIC KEY".
    public init(keyID: String, publicKeyPEM: String) throws {
        self.init(keyID: keyID, publicKey: try ES256PublicKey(pem: publicKeyPEM))
    }

    /// Verifies `token` (surrounding whitespace ignored) at `now`.
    public func verify(_ token: String, now: Date = Date()) async -> Result<EnrollmentTokenClaims, APIErrorBody> {
        let trimmed = token.trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = trimmed.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
              let headerData = Base64URL.decode(String(parts[0])),
              let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any]
        else {
            return .failure(APIErrorBody(code: .tokenInvalid, message: "the token is not a JWT"))
        }
        guard header["alg"] as? String == Self.algorithm, header["kid"] as? String == self.keyID else {
            return .failure(APIErrorBody(code: .tokenInvalid, message: "the token was not signed by this server"))
        }
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: self.key, kid: JWKIdentifier(string: self.keyID))
        let claims: EnrollmentTokenClaims
        do {
            claims = try await keys.verify(trimmed, as: EnrollmentTokenClaims.self)
        } catch {
            return .failure(APIErrorBody(code: .tokenInvalid, message: "the token's signature or claims do not verify"))
        }
        guard claims.expiresAt > now else {
            return .failure(APIErrorBody(code: .tokenExpired, message: "the token expired at \(ISO8601DateFormatter().string(from: claims.expiresAt))"))
        }
        return .success(claims)
    }
}
