import Crypto
import Foundation
import JWTKit
import ZTProtocol

/// Signs agents' configs and enrollment tokens (ES256), each with its own key, and verifies
/// tokens presented at enrollment.
public final class ServerSigners: Sendable {
    private let configKeys: JWTKeyCollection
    private let tokenKeys: JWTKeyCollection
    /// The config key's id, as agents pin it.
    public let configKeyID: String
    public let tokenKeyID: String
    /// kid -> PEM public key of the config-signing key(s) agents pin.
    public let publicConfigKeys: [String: String]

    public static func make(configKey: P256.Signing.PrivateKey, tokenKey: P256.Signing.PrivateKey) async throws -> ServerSigners {
        let configKeyID = SigningKeyFile.keyID(of: configKey.publicKey)
        let tokenKeyID = SigningKeyFile.keyID(of: tokenKey.publicKey)
        let configKeys = JWTKeyCollection()
        await configKeys.add(ecdsa: try ES256PrivateKey(backing: configKey), kid: JWKIdentifier(string: configKeyID))
        let tokenKeys = JWTKeyCollection()
        await tokenKeys.add(ecdsa: try ES256PrivateKey(backing: tokenKey), kid: JWKIdentifier(string: tokenKeyID))
        return ServerSigners(
            configKeys: configKeys, tokenKeys: tokenKeys, configKeyID: configKeyID, tokenKeyID: tokenKeyID,
            publicConfigKeys: [configKeyID: configKey.publicKey.pemRepresentation]
        )
    }

    private init(configKeys: JWTKeyCollection, tokenKeys: JWTKeyCollection, configKeyID: String, tokenKeyID: String, publicConfigKeys: [String: String]) {
        self.configKeys = configKeys
        self.tokenKeys = tokenKeys
        self.configKeyID = configKeyID
        self.tokenKeyID = tokenKeyID
        self.publicConfigKeys = publicConfigKeys
    }

    public func signConfig(_ claims: AgentConfigClaims) async throws -> String {
        try await self.configKeys.sign(claims, kid: JWKIdentifier(string: self.configKeyID), header: ["typ": "ztconfig+jwt"])
    }

    public func signToken(_ claims: EnrollmentTokenClaims) async throws -> String {
        try await self.tokenKeys.sign(claims, kid: JWKIdentifier(string: self.tokenKeyID), header: ["typ": "ztenroll+jwt"])
    }

    /// Checks a token's algorithm (ES256 only), key id, signature and expiry. Whether it was
    /// used before is the registry's to say.
    public func verifyToken(_ token: String, now: Date = Date()) async -> Result<EnrollmentTokenClaims, APIErrorBody> {
        let trimmed = token.trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = trimmed.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
              let headerData = Base64URL.decode(String(parts[0])),
              let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any]
        else {
            return .failure(APIErrorBody(code: .tokenInvalid, message: "the token is not a JWT"))
        }
        guard header["alg"] as? String == "ES256", header["kid"] as? String == self.tokenKeyID else {
            return .failure(APIErrorBody(code: .tokenInvalid, message: "the token was not signed by this server"))
        }
        let claims: EnrollmentTokenClaims
        do {
            claims = try await self.tokenKeys.verify(trimmed, as: EnrollmentTokenClaims.self)
        } catch {
            return .failure(APIErrorBody(code: .tokenInvalid, message: "the token's signature or claims do not verify"))
        }
        guard claims.expiresAt > now else {
            return .failure(APIErrorBody(code: .tokenExpired, message: "the token expired at \(ISO8601DateFormatter().string(from: claims.expiresAt))"))
        }
        return .success(claims)
    }
}
