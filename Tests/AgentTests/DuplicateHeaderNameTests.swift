import Crypto
import Foundation
import JWTKit
import Testing
import ZTProtocol

/// Headers that name `alg` or `kid` twice (found by the protocol fuzzer, whose own header check
/// disagreed with the verifier). RFC 7515 section 4: of duplicate names the lexically last counts.
/// The verifiers read headers that way (JSONSerialization); jwt-kit's JSONDecoder would keep the
/// first, but each verification gives jwt-kit only the one key the verifier chose, so the
/// signature is always checked with the key the last `kid` names.
@Suite struct DuplicateHeaderNameTests {
    let key = P256.Signing.PrivateKey()

    /// A token with exactly `header` as its header JSON, signed with `signer` (default: the
    /// pinned key).
    func token(header: String, payload: some Encodable, signer: P256.Signing.PrivateKey? = nil) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: try ES256PrivateKey(backing: signer ?? self.key), kid: "signer")
        let input = Base64URL.encode(Data(header.utf8)) + "." + Base64URL.encode(try JSONEncoder().encode(payload))
        let signature = try await keys.getKey(for: "signer").sign(Array(input.utf8))
        return input + "." + Base64URL.encode(Data(signature))
    }

    func config() -> AgentConfigClaims {
        AgentConfigClaims(
            audience: "laptop", issuedAt: Date(), notBefore: Date().addingTimeInterval(-60), expiresAt: Date().addingTimeInterval(3600),
            version: 5, servers: [.init(address: "127.0.0.1:853", name: "ztserver.test")], apiURL: "https://127.0.0.1:5001",
            routerAddress: "203.0.113.50", privateSuffixes: ["corp.test"], refreshSeconds: 300, renewAtFraction: 0.5
        )
    }

    @Test func configHeaderTheLastKidCounts() async throws {
        let verifier = try SignedConfigVerifier(pinnedKeys: ["cfg": self.key.publicKey.pemRepresentation], audience: "laptop")
        let lastPinned = try await self.token(header: #"{"alg":"ES256","kid":"other","kid":"cfg"}"#, payload: self.config())
        guard case .success = await verifier.verify(lastPinned, inForceVersion: nil) else {
            Issue.record("the last kid names the pinned key and the signature is good")
            return
        }
        let firstPinned = try await self.token(header: #"{"alg":"ES256","kid":"cfg","kid":"other"}"#, payload: self.config())
        #expect(await verifier.verify(firstPinned, inForceVersion: nil) == .failure(.unknownKey("other")))
        let forged = try await self.token(header: #"{"alg":"ES256","kid":"other","kid":"cfg"}"#, payload: self.config(), signer: P256.Signing.PrivateKey())
        #expect(await verifier.verify(forged, inForceVersion: nil) == .failure(.badSignature))
    }

    @Test func configHeaderTheLastAlgCounts() async throws {
        let verifier = try SignedConfigVerifier(pinnedKeys: ["cfg": self.key.publicKey.pemRepresentation], audience: "laptop")
        let lastNone = try await self.token(header: #"{"alg":"ES256","alg":"none","kid":"cfg"}"#, payload: self.config())
        #expect(await verifier.verify(lastNone, inForceVersion: nil) == .failure(.algorithmNotAllowed("none")))
    }

    @Test func tokenHeaderTheLastKidCounts() async throws {
        let verifier = EnrollmentTokenVerifier(keyID: "tok", publicKey: try ES256PublicKey(backing: self.key.publicKey))
        let claims = EnrollmentTokenClaims(
            subject: "laptop", kind: "client", tokenID: "j", issuedAt: Date(), expiresAt: Date().addingTimeInterval(600),
            apiURL: "https://127.0.0.1:5001", caFingerprint: String(repeating: "ab", count: 32)
        )
        let lastPinned = try await self.token(header: #"{"alg":"ES256","kid":"other","kid":"tok"}"#, payload: claims)
        guard case .success(let verified) = await verifier.verify(lastPinned) else {
            Issue.record("the last kid names the token key and the signature is good")
            return
        }
        #expect(verified == claims.withWholeSeconds)
        let firstPinned = try await self.token(header: #"{"alg":"ES256","kid":"tok","kid":"other"}"#, payload: claims)
        guard case .failure(let refusal) = await verifier.verify(firstPinned) else {
            Issue.record("the last kid is not the token key")
            return
        }
        #expect(refusal.code == .tokenInvalid)
    }
}

extension EnrollmentTokenClaims {
    /// The claims as they come back from a token: dates in whole seconds.
    fileprivate var withWholeSeconds: EnrollmentTokenClaims {
        var copy = self
        copy.issuedAt = Date(timeIntervalSince1970: self.issuedAt.timeIntervalSince1970.rounded(.towardZero))
        copy.expiresAt = Date(timeIntervalSince1970: self.expiresAt.timeIntervalSince1970.rounded(.towardZero))
        return copy
    }
}
