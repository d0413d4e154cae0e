import Agent
import Crypto
import Foundation
import JWTKit
import Testing
import ZTProtocol

/// The signing side of the tests: the server's real key, and attackers' keys.
struct ConfigMinter {
    let key = P256.Signing.PrivateKey()
    var keyID: String { "cfg-test" }
    var pinned: [String: String] { [self.keyID: self.key.publicKey.pemRepresentation] }

    func claims(audience: String = "laptop", version: Int64 = 5, schema: Int = AgentConfigClaims.currentSchema,
                notBefore: Date = Date().addingTimeInterval(-60), expires: Date = Date().addingTimeInterval(3600)) -> AgentConfigClaims {
        AgentConfigClaims(
            audience: audience, issuedAt: Date(), notBefore: notBefore, expiresAt: expires, version: version,
            servers: [.init(address: "127.0.0.1:853", name: "ztserver.test")], apiURL: "https://127.0.0.1:5001",
            routerAddress: "203.0.113.50", privateSuffixes: ["corp.test"], refreshSeconds: 300, renewAtFraction: 2.0 / 3.0, schema: schema
        )
    }

    func sign(_ claims: AgentConfigClaims, kid: String? = nil, with key: P256.Signing.PrivateKey? = nil) async throws -> String {
        let keys = JWTKeyCollection()
        let kid = kid ?? self.keyID
        await keys.add(ecdsa: try ES256PrivateKey(backing: key ?? self.key), kid: JWKIdentifier(string: kid))
        return try await keys.sign(claims, kid: JWKIdentifier(string: kid))
    }
}

@Suite struct SignedConfigVerifierTests {
    let minter = ConfigMinter()
    let checker: SignedConfigVerifier

    init() throws {
        self.checker = try SignedConfigVerifier(pinnedKeys: self.minter.pinned, audience: "laptop")
    }

    @Test func acceptsAGoodConfig() async throws {
        let token = try await self.minter.sign(self.minter.claims())
        let result = await self.checker.verify(token, inForceVersion: 5)
        guard case .success(let claims) = result else {
            Issue.record("refused: \(result)")
            return
        }
        #expect(claims.version == 5)
        #expect(claims.privateSuffixes == ["corp.test"])
    }

    @Test func refusesAlgNone() async throws {
        let header = Base64URL.encode(Data(#"{"alg":"none","typ":"JWT","kid":"cfg-test"}"#.utf8))
        let payload = Base64URL.encode(try JSONEncoder().encode(self.minter.claims()))
        let result = await self.checker.verify("\(header).\(payload).", inForceVersion: nil)
        #expect(Self.reason(result) == "malformed" || Self.reason(result) == "algorithm_not_allowed")
        let withSignature = await self.checker.verify("\(header).\(payload).AAAA", inForceVersion: nil)
        #expect(Self.reason(withSignature) == "algorithm_not_allowed")
    }

    @Test func refusesHS256KeyedWithThePublicKey() async throws {
        // The classic confusion attack: HMAC with the (public) PEM as the shared secret.
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: self.minter.key.publicKey.pemRepresentation), digestAlgorithm: .sha256, kid: "cfg-test")
        let token = try await keys.sign(self.minter.claims(), kid: "cfg-test")
        let header = try #require(Base64URL.decode(String(token.split(separator: ".")[0])))
        #expect(String(decoding: header, as: UTF8.self).contains(#""alg":"HS256""#), "the attack token really is HS256")
        #expect(Self.reason(await self.checker.verify(token, inForceVersion: nil)) == "algorithm_not_allowed")
    }

    @Test func refusesATamperedPayload() async throws {
        let token = try await self.minter.sign(self.minter.claims())
        let parts = token.split(separator: ".").map(String.init)
        var claims = self.minter.claims()
        claims.routerAddress = "198.51.100.66"  // an attacker's router
        let forged = Base64URL.encode(try JSONEncoder().encode(claims))
        #expect(Self.reason(await self.checker.verify("\(parts[0]).\(forged).\(parts[2])", inForceVersion: nil)) == "bad_signature")
    }

    @Test func refusesAnotherKeyUnderAPinnedKid() async throws {
        let token = try await self.minter.sign(self.minter.claims(), with: P256.Signing.PrivateKey())
        #expect(Self.reason(await self.checker.verify(token, inForceVersion: nil)) == "bad_signature")
    }

    @Test func refusesWrongAudience() async throws {
        let token = try await self.minter.sign(self.minter.claims(audience: "someone-else"))
        #expect(Self.reason(await self.checker.verify(token, inForceVersion: nil)) == "wrong_audience")
    }

    @Test func refusesExpiredAndNotYetValid() async throws {
        let expired = try await self.minter.sign(self.minter.claims(notBefore: Date().addingTimeInterval(-7200), expires: Date().addingTimeInterval(-3600)))
        #expect(Self.reason(await self.checker.verify(expired, inForceVersion: nil)) == "expired")
        let early = try await self.minter.sign(self.minter.claims(notBefore: Date().addingTimeInterval(3600)))
        #expect(Self.reason(await self.checker.verify(early, inForceVersion: nil)) == "not_yet_valid")
    }

    @Test func refusesRollback() async throws {
        let old = try await self.minter.sign(self.minter.claims(version: 4))
        #expect(Self.reason(await self.checker.verify(old, inForceVersion: 5)) == "rollback")
        let same = try await self.minter.sign(self.minter.claims(version: 5))
        guard case .success = await self.checker.verify(same, inForceVersion: 5) else {
            Issue.record("the same version must be accepted (a refresh)")
            return
        }
    }

    @Test func refusesUnknownKid() async throws {
        let token = try await self.minter.sign(self.minter.claims(), kid: "cfg-unknown")
        #expect(Self.reason(await self.checker.verify(token, inForceVersion: nil)) == "unknown_key")
    }

    @Test func refusesGarbage() async throws {
        for garbage in ["", "garbage", "a.b.c", "....", "eyJhbGciOiJFUzI1NiJ9.e30", String(repeating: "A", count: 10_000), "\u{0}.\u{1}.\u{2}"] {
            let reason = Self.reason(await self.checker.verify(garbage, inForceVersion: nil))
            #expect(reason == "malformed" || reason == "algorithm_not_allowed" || reason == "unknown_key", "\(garbage.prefix(20)): \(reason)")
        }
    }

    @Test func refusesUnknownSchema() async throws {
        let token = try await self.minter.sign(self.minter.claims(schema: 2))
        #expect(Self.reason(await self.checker.verify(token, inForceVersion: nil)) == "unknown_schema")
    }

    static func reason(_ result: Result<AgentConfigClaims, ConfigRejection>) -> String {
        switch result {
        case .success: return "accepted"
        case .failure(let rejection): return rejection.reason
        }
    }
}
