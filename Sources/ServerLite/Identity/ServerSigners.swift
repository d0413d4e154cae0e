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
    /// Verifies tokens presented at enrollment with the token key's public half.
    public let tokenVerifier: EnrollmentTokenVerifier
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
            tokenVerifier: EnrollmentTokenVerifier(keyID: tokenKeyID, publicKey: try ES256PublicKey(backing: tokenKey.publicKey)),
            publicConfigKeys: [configKeyID: configKey.publicKey.pemRepresentation]
        )
    }

    private init(configKeys: JWTKeyCollection, tokenKeys: JWTKeyCollection, configKeyID: String, tokenKeyID: String, tokenVerifier: EnrollmentTokenVerifier, publicConfigKeys: [String: String]) {
        self.configKeys = configKeys
        self.tokenKeys = tokenKeys
        self.configKeyID = configKeyID
        self.tokenKeyID = tokenKeyID
        self.tokenVerifier = tokenVerifier
        self.publicConfigKeys = publicConfigKeys
    }

    public func signConfig(_ claims: AgentConfigClaims) async throws -> String {
        try await self.configKeys.sign(claims, kid: JWKIdentifier(string: self.configKeyID), header: ["typ": "ztconfig+jwt"])
    }

    public func signToken(_ claims: EnrollmentTokenClaims) async throws -> String {
        try await self.tokenKeys.sign(claims, kid: JWKIdentifier(string: self.tokenKeyID), header: ["typ": "ztenroll+jwt"])
    }

    /// Checks a token's algorithm (ES256 only), key id, signature and expiry
    /// (``EnrollmentTokenVerifier``). Whether it was used before is the registry's to say.
    public func verifyToken(_ token: String, now: Date = Date()) async -> Result<EnrollmentTokenClaims, APIErrorBody> {
        await self.tokenVerifier.verify(token, now: now)
    }
}
