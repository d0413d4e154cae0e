import Foundation
import JWTKit

/// The claims of a one-time enrollment token (a JWT signed ES256 by the server's token key).
///
/// The agent cannot check the signature before enrolling (it has no key yet); it trusts the
/// token only as far as it pins the server's CA by ``caFingerprint`` before sending anything.
/// The server checks the signature, the expiry and that ``tokenID`` was never used.
public struct EnrollmentTokenClaims: JWTPayload, Equatable {
    /// "ztserver"
    public var issuer: String
    /// The endpoint name the certificate will carry as its CN.
    public var subject: String
    /// client or service.
    public var kind: String
    /// Unique id, consumed atomically at enrollment.
    public var tokenID: String
    public var issuedAt: Date
    public var expiresAt: Date
    /// The enrollment API, e.g. https://192.0.2.53:5001
    public var apiURL: String
    /// Lowercase hex SHA-256 of the CA certificate's DER.
    public var caFingerprint: String
    /// Token format; 1 today.
    public var version: Int

    enum CodingKeys: String, CodingKey {
        case issuer = "iss", subject = "sub", kind, tokenID = "jti", issuedAt = "iat", expiresAt = "exp"
        case apiURL = "api", caFingerprint = "caf", version = "ver"
    }

    public init(subject: String, kind: String, tokenID: String, issuedAt: Date, expiresAt: Date, apiURL: String, caFingerprint: String) {
        self.issuer = "ztserver"
        self.subject = subject
        self.kind = kind
        self.tokenID = tokenID
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.apiURL = apiURL
        self.caFingerprint = caFingerprint
        self.version = 1
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.issuer = try container.decode(String.self, forKey: .issuer)
        self.subject = try container.decode(String.self, forKey: .subject)
        self.kind = try container.decode(String.self, forKey: .kind)
        self.tokenID = try container.decode(String.self, forKey: .tokenID)
        self.issuedAt = Date(timeIntervalSince1970: try container.decode(Double.self, forKey: .issuedAt))
        self.expiresAt = Date(timeIntervalSince1970: try container.decode(Double.self, forKey: .expiresAt))
        self.apiURL = try container.decode(String.self, forKey: .apiURL)
        self.caFingerprint = try container.decode(String.self, forKey: .caFingerprint)
        self.version = try container.decode(Int.self, forKey: .version)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.issuer, forKey: .issuer)
        try container.encode(self.subject, forKey: .subject)
        try container.encode(self.kind, forKey: .kind)
        try container.encode(self.tokenID, forKey: .tokenID)
        // Whole seconds (jwt-kit would write fractions).
        try container.encode(NumericDate.seconds(self.issuedAt, codingPath: container.codingPath + [CodingKeys.issuedAt]), forKey: .issuedAt)
        try container.encode(NumericDate.seconds(self.expiresAt, codingPath: container.codingPath + [CodingKeys.expiresAt]), forKey: .expiresAt)
        try container.encode(self.apiURL, forKey: .apiURL)
        try container.encode(self.caFingerprint, forKey: .caFingerprint)
        try container.encode(self.version, forKey: .version)
    }

    /// Claims are checked by the verifier with explicit reasons, not here.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}

    /// The claims of `token`, read without verifying its signature: what an agent can know of a
    /// token before it has any key (``EnrollmentTokenVerifier`` is the server's check).
    ///
    /// Refuses anything that is not three parts with a base64url payload decoding as these
    /// claims, an API URL that is not https, and a CA fingerprint that is not 64 characters.
    public static func unverified(_ token: String) throws(EnrollmentTokenFormatError) -> EnrollmentTokenClaims {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let payload = Base64URL.decode(String(parts[1])) else {
            throw EnrollmentTokenFormatError(reason: "expected a JWT (three base64url parts)")
        }
        let claims: EnrollmentTokenClaims
        do {
            claims = try JSONDecoder().decode(EnrollmentTokenClaims.self, from: payload)
        } catch {
            throw EnrollmentTokenFormatError(reason: "its claims are not an enrollment token's")
        }
        guard claims.apiURL.hasPrefix("https://") else { throw EnrollmentTokenFormatError(reason: "the API URL is not https") }
        guard claims.caFingerprint.count == 64 else { throw EnrollmentTokenFormatError(reason: "the CA fingerprint is not SHA-256 hex") }
        return claims
    }
}
