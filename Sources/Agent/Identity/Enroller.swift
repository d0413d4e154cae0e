import CertStore
import Crypto
import Foundation
import NIOCore
import X509
import ZTProtocol

/// `ztagent enroll`: turns a one-time token into an identity on this host.
///
/// 1. Reads the token's claims (not yet trusted) and stops on an expired token.
/// 2. Checks the state directory can be written, before the token is spent.
/// 3. Fetches the server's CA and compares its SHA-256 with the token's fingerprint; on a
///    mismatch nothing is sent (no CSR, no token).
/// 4. Makes a P-256 key here and sends only the CSR with the token, over TLS pinned to that CA.
/// 5. Checks the certificate (our key, our CN, signed by the CA) and the signed config (pinned
///    keys, our CN) before writing anything.
/// 6. Writes CA, signing keys and config, then the identity (key + certificate, one file, 0600)
///    last: each by temp file, fsync and rename.
public struct Enroller: Sendable {
    public let paths: AgentStatePaths
    private let client: EnrollmentClient

    public init(paths: AgentStatePaths, client: EnrollmentClient) {
        self.paths = paths
        self.client = client
    }

    /// What enrollment produced.
    public struct Result: Sendable {
        public var commonName: String
        public var certificateNotAfter: Date
        public var configVersion: Int64
    }

    public func enroll(token rawToken: String, force: Bool = false, now: Date = Date()) async throws -> Result {
        let existed = FileManager.default.fileExists(atPath: self.paths.directory)
        do {
            return try await self.enrollSteps(token: rawToken, force: force, now: now)
        } catch {
            // Leave nothing behind: a state directory this attempt created goes again.
            if !existed, !FileManager.default.fileExists(atPath: self.paths.identity) {
                try? FileManager.default.removeItem(atPath: self.paths.directory)
            }
            throw error
        }
    }

    private func enrollSteps(token rawToken: String, force: Bool, now: Date) async throws -> Result {
        let token = rawToken.trimmingCharacters(in: .whitespacesAndNewlines)
        let claims = try Self.unverifiedClaims(token)
        guard claims.expiresAt > now else { throw EnrollmentError.tokenExpired(ISO8601DateFormatter().string(from: claims.expiresAt)) }
        if !force, FileManager.default.fileExists(atPath: self.paths.identity) {
            throw EnrollmentError.alreadyEnrolled(self.paths.identity)
        }
        try self.checkWritable()

        let authority: AuthorityResponse
        do {
            authority = try await self.client.fetchAuthorityUnverified(apiURL: claims.apiURL)
        } catch {
            throw EnrollmentError.unreachable("\(error)")
        }
        guard let ca = try? PEMCodec.decodeCertificates(pem: authority.ca).first else {
            throw EnrollmentError.badAnswer("the server's CA is not a PEM certificate")
        }
        let presented = ca.fingerprintSHA256
        guard presented == claims.caFingerprint.lowercased() else {
            throw EnrollmentError.fingerprintMismatch(expected: claims.caFingerprint, presented: presented)
        }

        let (key, csr) = try CSRFactory.make(commonName: claims.subject)
        let answer: IdentityResponse
        do {
            answer = try await self.client.enroll(apiURL: claims.apiURL, request: EnrollRequest(token: token, csr: csr), ca: try TrustAnchors.nioCertificates([ca]))
        } catch let error as EnrollmentClientError {
            if case .refused(let body) = error { throw EnrollmentError.refused("\(body.message) (\(body.code.rawValue))") }
            throw EnrollmentError.unreachable("\(error)")
        }
        let certificate = try IssuedIdentityChecker.check(certificatePEM: answer.certificate, ca: ca, key: key, commonName: claims.subject, now: now)
        let verifier = try SignedConfigVerifier(pinnedKeys: answer.signingKeys, audience: claims.subject)
        let config: AgentConfigClaims
        switch await verifier.verify(answer.config, inForceVersion: nil, now: now) {
        case .success(let accepted): config = accepted
        case .failure(let rejection): throw EnrollmentError.badAnswer("the first config was refused: \(rejection)")
        }

        let keysJSON = try JSONEncoder.sorted.encode(answer.signingKeys)
        try AtomicFile.write(try PEMCodec.encode(certificate: ca), to: self.paths.ca, mode: 0o644)
        try AtomicFile.write(Array(keysJSON), to: self.paths.signingKeys, mode: 0o644)
        try AtomicFile.write(answer.config + "\n", to: self.paths.config, mode: 0o600)
        try AgentIdentityFile.write(TLSIdentity(certificateChain: [certificate], privateKey: key), to: self.paths.identity)
        return Result(commonName: claims.subject, certificateNotAfter: certificate.notValidAfter, configVersion: config.version)
    }

    /// The token's claims, read without trusting them (``EnrollmentTokenClaims/unverified(_:)``).
    public static func unverifiedClaims(_ token: String) throws -> EnrollmentTokenClaims {
        do {
            return try EnrollmentTokenClaims.unverified(token)
        } catch {
            throw EnrollmentError.notAToken(error.reason)
        }
    }

    private func checkWritable() throws {
        do {
            try SecureDirectory.ensure(path: self.paths.directory)
            AtomicFile.removeStaleTemporaryFiles(in: self.paths.directory)
            let probe = "\(self.paths.directory)/write-test"
            try AtomicFile.write([0x0A], to: probe, mode: 0o600)
            unlink(probe)
        } catch {
            throw EnrollmentError.stateNotWritable("\(error)")
        }
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return encoder
    }
}
