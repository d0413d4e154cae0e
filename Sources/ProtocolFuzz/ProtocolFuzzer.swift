import Foundation
import JWTKit
import ZTProtocol

/// The checks run on every fuzz input, over the parsers agent and server apply to tokens:
/// ``SignedConfigVerifier``, ``EnrollmentTokenVerifier``, ``EnrollmentTokenClaims/unverified(_:)``
/// and the claims' JSON decoders.
///
/// An input is used twice:
/// - raw: its bytes as a token string (all three readers) and as claims JSON (both decoders);
/// - spliced, when its first byte is below 0x20: that byte picks one of the pre-signed
///   ``TokenTemplate``s (bits 3-4) and what the rest of the input replaces (bits 0-2):
///   0 header JSON, 1 payload JSON, 2 signature bytes (each base64url-encoded here),
///   3 header text, 4 payload text, 5 signature text, 6 text appended to the whole token,
///   7 header JSON and payload JSON separated by the first 0 byte. So the fuzzer mutates JSON
///   and signatures directly while the other parts stay those of a valid token.
///
/// Nothing may trap. A verified config or token must also: re-verify to the same result, carry
/// ES256 and the pinned kid in its header, have a signature that verifies with that key when
/// checked directly, and satisfy every claim rule (audience, schema, window, version; expiry).
/// A refusal for a reason checked after the header means the header passed. Decoded claims must
/// encode, and that encoding must decode and re-encode to the same bytes.
final class ProtocolFuzzer: Sendable {
    private let configVerifier: SignedConfigVerifier
    private let tokenVerifier: EnrollmentTokenVerifier
    /// The public keys again, for checking signatures without the verifiers.
    private let configKey: any JWTAlgorithm
    private let tokenKey: any JWTAlgorithm
    let templates: [TokenTemplate]

    private init(configVerifier: SignedConfigVerifier, tokenVerifier: EnrollmentTokenVerifier, configKey: any JWTAlgorithm, tokenKey: any JWTAlgorithm, templates: [TokenTemplate]) {
        self.configVerifier = configVerifier
        self.tokenVerifier = tokenVerifier
        self.configKey = configKey
        self.tokenKey = tokenKey
        self.templates = templates
    }

    /// Parses the fixed keys and signs the templates (once per process).
    static func make() async throws -> ProtocolFuzzer {
        let configPrivate = try ES256PrivateKey(pem: FuzzFixture.configKeyPEM)
        let tokenPrivate = try ES256PrivateKey(pem: FuzzFixture.tokenKeyPEM)
        let signers = JWTKeyCollection()
        await signers.add(ecdsa: configPrivate, kid: JWKIdentifier(string: FuzzFixture.configKeyID))
        await signers.add(ecdsa: tokenPrivate, kid: JWKIdentifier(string: FuzzFixture.tokenKeyID))
        let verifiers = JWTKeyCollection()
        await verifiers.add(ecdsa: configPrivate.publicKey, kid: JWKIdentifier(string: FuzzFixture.configKeyID))
        await verifiers.add(ecdsa: tokenPrivate.publicKey, kid: JWKIdentifier(string: FuzzFixture.tokenKeyID))

        let configHeader = [("alg", "ES256"), ("kid", FuzzFixture.configKeyID), ("typ", "ztconfig+jwt")]
        let tokenHeader = [("alg", "ES256"), ("kid", FuzzFixture.tokenKeyID), ("typ", "ztenroll+jwt")]
        let configs = FuzzFixture.configClaims
        let tokens = FuzzFixture.tokenClaims
        var templates: [TokenTemplate] = []
        for (config, token) in zip(configs, tokens) {
            templates.append(try await TokenTemplate.make(claims: config, header: configHeader, kid: FuzzFixture.configKeyID, keys: signers))
            templates.append(try await TokenTemplate.make(claims: token, header: tokenHeader, kid: FuzzFixture.tokenKeyID, keys: signers))
        }
        return ProtocolFuzzer(
            configVerifier: try SignedConfigVerifier(
                pinnedKeys: [FuzzFixture.configKeyID: configPrivate.publicKey.pemRepresentation], audience: FuzzFixture.audience
            ),
            tokenVerifier: EnrollmentTokenVerifier(keyID: FuzzFixture.tokenKeyID, publicKey: tokenPrivate.publicKey),
            configKey: try await verifiers.getKey(for: JWKIdentifier(string: FuzzFixture.configKeyID)),
            tokenKey: try await verifiers.getKey(for: JWKIdentifier(string: FuzzFixture.tokenKeyID)),
            templates: templates
        )
    }

    /// One fuzz input.
    func run(_ bytes: [UInt8]) async {
        guard bytes.count <= FuzzFixture.maximumInputBytes else { return }
        let text = String(decoding: bytes, as: UTF8.self)
        await self.checkConfig(text)
        await self.checkToken(text)
        self.checkUnverified(text)
        Self.checkRoundTrip(AgentConfigClaims.self, json: bytes)
        Self.checkRoundTrip(EnrollmentTokenClaims.self, json: bytes)
        if let token = self.spliced(bytes) {
            await self.checkConfig(token)
            await self.checkToken(token)
            self.checkUnverified(token)
        }
    }

    /// The token an input with a selector byte stands for (see the type's documentation).
    func spliced(_ bytes: [UInt8]) -> String? {
        guard let selector = bytes.first, selector < 0x20, !self.templates.isEmpty else { return nil }
        let template = self.templates[Int(selector >> 3) % self.templates.count]
        let rest = Array(bytes.dropFirst())
        let text = String(decoding: rest, as: UTF8.self)
        let encoded = Base64URL.encode(Data(rest))
        switch selector & 7 {
        case 0: return "\(encoded).\(template.payload).\(template.signature)"
        case 1: return "\(template.header).\(encoded).\(template.signature)"
        case 2: return "\(template.header).\(template.payload).\(encoded)"
        case 3: return "\(text).\(template.payload).\(template.signature)"
        case 4: return "\(template.header).\(text).\(template.signature)"
        case 5: return "\(template.header).\(template.payload).\(text)"
        case 6: return template.token + text
        default:
            let split = rest.firstIndex(of: 0) ?? rest.count
            let header = Base64URL.encode(Data(rest[..<split]))
            let payload = Base64URL.encode(Data(rest[min(split + 1, rest.count)...]))
            return "\(header).\(payload).\(template.signature)"
        }
    }

    // MARK: - Signed config

    private func checkConfig(_ token: String) async {
        let result = await self.configVerifier.verify(token, inForceVersion: FuzzFixture.inForceVersion, now: FuzzFixture.now)
        let claims: AgentConfigClaims
        switch result {
        case .success(let accepted):
            claims = accepted
        case .failure(let rejection):
            switch rejection {
            case .malformed:
                break
            case .algorithmNotAllowed(let algorithm):
                if SignedConfigVerifier.allowedAlgorithms.contains(algorithm) {
                    violation("config refused for its algorithm \(algorithm), which is allowed", token)
                }
            case .unknownKey(let kid):
                if kid == FuzzFixture.configKeyID { violation("config refused for the pinned kid", token) }
            case .badSignature, .unknownSchema, .wrongAudience, .expired, .notYetValid, .rollback:
                self.requireHeader(token, kid: FuzzFixture.configKeyID, what: "config refused as \(rejection.reason)")
            }
            if case .wrongAudience(let expected, let got) = rejection, expected != FuzzFixture.audience || got == expected {
                violation("wrongAudience(\(expected), \(got))", token)
            }
            return
        }

        // Accepted: the header, the signature and every claim rule, checked again here.
        self.requireHeader(token, kid: FuzzFixture.configKeyID, what: "config accepted")
        self.requireSignature(token, key: self.configKey, what: "accepted config")
        if claims.audience != FuzzFixture.audience { violation("accepted config for \(claims.audience)", token) }
        if claims.schema != AgentConfigClaims.currentSchema { violation("accepted config of schema \(claims.schema)", token) }
        if claims.version < FuzzFixture.inForceVersion { violation("accepted rollback to \(claims.version)", token) }
        if !(FuzzFixture.now.addingTimeInterval(SignedConfigVerifier.leeway) >= claims.notBefore) {
            violation("accepted config not yet valid", token)
        }
        if !(FuzzFixture.now.addingTimeInterval(-SignedConfigVerifier.leeway) < claims.expiresAt) {
            violation("accepted expired config", token)
        }
        if let payload = Self.payload(of: token), (try? JSONDecoder().decode(AgentConfigClaims.self, from: Data(payload))) != claims {
            violation("accepted claims differ from the payload's", token)
        }

        // Re-verification gives the same answer, padded with whitespace too.
        let again = await self.configVerifier.verify("\n \(token)\t\n", inForceVersion: FuzzFixture.inForceVersion, now: FuzzFixture.now)
        if again != result { violation("config re-verified as \(again)", token) }
        let outsideWindow = await self.configVerifier.verify(
            token, inForceVersion: FuzzFixture.inForceVersion, now: Date(timeIntervalSince1970: 0), checkValidityWindow: false
        )
        if outsideWindow != result { violation("config without the window check gave \(outsideWindow)", token) }
        if claims.version < Int64.max {
            let higher = claims.version + 1
            let rollback = await self.configVerifier.verify(token, inForceVersion: higher, now: FuzzFixture.now)
            if rollback != .failure(.rollback(inForce: higher, offered: claims.version)) {
                violation("config under a higher version in force gave \(rollback)", token)
            }
        }
    }

    // MARK: - Enrollment token

    private func checkToken(_ token: String) async {
        let result = await self.tokenVerifier.verify(token, now: FuzzFixture.now)
        let claims: EnrollmentTokenClaims
        switch result {
        case .success(let accepted):
            claims = accepted
        case .failure(let error):
            switch error.code {
            case .tokenInvalid:
                break
            case .tokenExpired:
                self.requireHeader(token, kid: FuzzFixture.tokenKeyID, what: "token refused as expired")
                self.requireSignature(token, key: self.tokenKey, what: "expired token")
            default:
                violation("token refused with code \(error.code.rawValue)", token)
            }
            return
        }

        self.requireHeader(token, kid: FuzzFixture.tokenKeyID, what: "token accepted")
        self.requireSignature(token, key: self.tokenKey, what: "accepted token")
        if !(claims.expiresAt > FuzzFixture.now) { violation("accepted expired token", token) }
        let again = await self.tokenVerifier.verify(" \(token)\n", now: FuzzFixture.now)
        guard case .success(let same) = again, same == claims else { violation("token re-verified as \(again)", token) }
        let later = await self.tokenVerifier.verify(token, now: claims.expiresAt)
        guard case .failure(let expired) = later, expired.code == .tokenExpired else {
            violation("token verified at its expiry gave \(later)", token)
        }
        // What the agent reads before enrolling is what the server verified (or a refusal for a
        // rule only the agent applies).
        let trimmed = token.trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            let unverified = try EnrollmentTokenClaims.unverified(trimmed)
            if unverified != claims { violation("unverified claims differ from verified ones", token) }
        } catch {
            if !claims.apiURL.hasPrefix("https://") || claims.caFingerprint.count != 64 { return }
            violation("a verified token's claims were unreadable unverified: \(error.reason)", token)
        }
    }

    // MARK: - Unverified claims reader

    private func checkUnverified(_ token: String) {
        let claims: EnrollmentTokenClaims
        do {
            claims = try EnrollmentTokenClaims.unverified(token)
        } catch {
            if error.reason.isEmpty { violation("refusal without a reason", token) }
            return
        }
        if !claims.apiURL.hasPrefix("https://") { violation("unverified reader accepted API \(claims.apiURL)", token) }
        if claims.caFingerprint.count != 64 { violation("unverified reader accepted fingerprint \(claims.caFingerprint)", token) }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let payload = Base64URL.decode(String(parts[1])),
              (try? JSONDecoder().decode(EnrollmentTokenClaims.self, from: payload)) == claims
        else {
            violation("unverified reader's claims are not the payload's", token)
        }
    }

    // MARK: - Claims JSON

    /// Decoded claims encode; the encoding decodes and encodes again to the same bytes.
    static func checkRoundTrip<Claims: Codable & Equatable>(_ type: Claims.Type, json: [UInt8]) {
        guard let claims = try? JSONDecoder().decode(Claims.self, from: Data(json)) else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let first: Data
        do {
            first = try encoder.encode(claims)
        } catch {
            // Refusing to encode is allowed (a value JSON cannot carry); trapping is not.
            return
        }
        guard let decoded = try? JSONDecoder().decode(Claims.self, from: first) else {
            violation("\(Claims.self) encoding does not decode: \(String(decoding: first, as: UTF8.self))", String(decoding: json, as: UTF8.self))
        }
        guard let second = try? encoder.encode(decoded), second == first else {
            violation("\(Claims.self) encoding is not stable", String(decoding: json, as: UTF8.self))
        }
    }

    // MARK: - Independent checks

    /// Fails unless the token's header names ES256 and `kid`, read the RFC 7515 way: of
    /// duplicate member names the lexically last counts (JSONSerialization's reading, and the
    /// verifiers'). JSONDecoder, which jwt-kit parses headers with, keeps the first instead; that
    /// cannot pick another key, because each verification hands jwt-kit a collection holding
    /// only the key the verifier chose, but it is why this check cannot use JSONDecoder.
    private func requireHeader(_ token: String, kid: String, what: String) {
        let trimmed = token.trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = trimmed.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let header = LenientBase64URL.decode(parts[0]),
              let names = try? JSONSerialization.jsonObject(with: Data(header)) as? [String: Any]
        else {
            violation("\(what), but its header does not decode", token)
        }
        let algorithm = names["alg"] as? String
        let keyID = names["kid"] as? String
        if algorithm != "ES256" || keyID != kid {
            violation("\(what) with alg \(algorithm ?? "-") kid \(keyID ?? "-")", token)
        }
    }

    /// Fails unless the token's signature verifies with `key` over `header.payload`.
    private func requireSignature(_ token: String, key: any JWTAlgorithm, what: String) {
        let trimmed = token.trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = trimmed.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let signature = LenientBase64URL.decode(parts[2]),
              (try? key.verify(signature, signs: Array("\(parts[0]).\(parts[1])".utf8))) == true
        else {
            violation("\(what), but its signature does not verify with the key", token)
        }
    }

    private static func payload(of token: String) -> [UInt8]? {
        let parts = token.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        return LenientBase64URL.decode(parts[1])
    }
}

/// Traps with a message; used only for real invariant violations.
func violation(_ what: String, _ input: String) -> Never {
    fatalError("protocol invariant violated: \(what) (input \(input.utf8.count) bytes: \(input.prefix(200).debugDescription))")
}
