import CertStore
import Crypto
import Foundation
import Logging
import NIOCore
import NIOSSL
import X509
import ZTProtocol

/// Keeps an enrolled agent's identity and config current.
///
/// - Renewal: at the config's fraction of the certificate's lifetime (default 2/3) it makes a
///   new key, sends a CSR over mutual TLS with the current certificate, checks the answer, writes
///   the new identity file atomically and only then hands it to the DoT pool. Failures retry
///   with backoff; the old identity stays in force until the new one is on disk.
/// - Config: fetched every `refreshSeconds` and on demand (SIGHUP, `ztagent config refresh`).
///   A config is applied only after ``SignedConfigVerifier`` accepts it (and never a lower
///   version); a refused one is logged and counted, and the last good config stays in force and
///   on disk.
public actor AgentIdentityManager {
    public let paths: AgentStatePaths
    private let client: EnrollmentClient
    private let verifier: SignedConfigVerifier
    private let logger: Logger
    private let ca: Certificate
    private let trust: [NIOSSLCertificate]
    public private(set) var identity: TLSIdentity
    public private(set) var config: AgentConfigClaims
    public private(set) var statistics = IdentityStatistics()
    private let onIdentityChanged: @Sendable (TLSIdentity) -> Void
    private let onConfigChanged: @Sendable (AgentConfigClaims) -> Void
    private var refreshRequests: AsyncStream<Void>.Continuation?

    /// What an enrolled agent has on disk, checked.
    public struct Loaded: Sendable {
        public var identity: TLSIdentity
        public var ca: Certificate
        public var signingKeys: [String: String]
        public var config: AgentConfigClaims
    }

    /// Loads and checks the state directory: the identity file must be private (0600), the config
    /// must verify with the pinned keys for this identity's CN.
    public static func load(_ paths: AgentStatePaths) async throws -> Loaded {
        guard FileManager.default.fileExists(atPath: paths.identity) else {
            throw AgentError.configuration("not enrolled: \(paths.identity) does not exist (run 'ztagent enroll --token …' first)")
        }
        try SecureDirectory.check(path: paths.directory)
        AtomicFile.removeStaleTemporaryFiles(in: paths.directory)
        let identity = try AgentIdentityFile.load(paths.identity)
        guard let commonName = identity.commonName else { throw AgentError.configuration("\(paths.identity) has no CN") }
        guard let ca = try TrustAnchors.load(path: paths.ca).first else { throw AgentError.configuration("\(paths.ca) holds no certificate") }
        let keysData = try AgentFileReader.read(paths.signingKeys)
        let keys: [String: String]
        do {
            keys = try JSONDecoder().decode([String: String].self, from: keysData)
        } catch {
            throw AgentStateFileError.malformed(path: paths.signingKeys, expected: "a JSON object of pinned signing keys (kid to PEM)", cause: error)
        }
        let token = try AgentFileReader.readText(paths.config, expected: "a signed config (a JWT)")
        let verifier = try SignedConfigVerifier(pinnedKeys: keys, audience: commonName)
        switch await verifier.verify(token, inForceVersion: nil, checkValidityWindow: false) {
        case .success(let config):
            return Loaded(identity: identity, ca: ca, signingKeys: keys, config: config)
        case .failure(let rejection):
            throw AgentError.configuration("the stored config \(paths.config) does not verify: \(rejection)")
        }
    }

    public init(paths: AgentStatePaths, loaded: Loaded, client: EnrollmentClient, logger: Logger,
                onIdentityChanged: @escaping @Sendable (TLSIdentity) -> Void,
                onConfigChanged: @escaping @Sendable (AgentConfigClaims) -> Void) throws {
        self.paths = paths
        self.client = client
        self.logger = logger
        self.ca = loaded.ca
        self.trust = try TrustAnchors.nioCertificates([loaded.ca])
        self.identity = loaded.identity
        self.config = loaded.config
        self.verifier = try SignedConfigVerifier(pinnedKeys: loaded.signingKeys, audience: loaded.identity.commonName ?? "")
        self.onIdentityChanged = onIdentityChanged
        self.onConfigChanged = onConfigChanged
    }

    /// The CN this agent is.
    public var commonName: String { self.identity.commonName ?? "" }

    /// When the current certificate is due for renewal: at the config's fraction of its
    /// lifetime, counted from issue (certificates are backdated a minute for clock skew).
    public var renewalDue: Date {
        let leaf = self.identity.leaf
        let issued = min(leaf.notValidBefore.addingTimeInterval(IssuanceProfile.backdate), leaf.notValidAfter)
        let lifetime = leaf.notValidAfter.timeIntervalSince(issued)
        let fraction = min(max(self.config.renewAtFraction, 0.1), 0.95)
        return issued.addingTimeInterval(lifetime * fraction)
    }

    // MARK: config

    /// Checks `token` and, when accepted, makes it the config in force (on disk first).
    @discardableResult
    public func apply(configToken token: String) async -> Result<AgentConfigClaims, ConfigRejection> {
        switch await self.verifier.verify(token, inForceVersion: self.config.version) {
        case .failure(let rejection):
            self.statistics.configRejections[rejection.reason, default: 0] += 1
            self.logger.error("config refused, keeping version \(self.config.version)", metadata: ["reason": "\(rejection)"])
            return .failure(rejection)
        case .success(let claims):
            do {
                try AtomicFile.write(token.trimmingCharacters(in: .whitespacesAndNewlines) + "\n", to: self.paths.config, mode: 0o600)
            } catch {
                self.logger.error("cannot store the new config, keeping the one in force", metadata: ["error": "\(error)"])
                return .failure(.malformed("not stored: \(error)"))
            }
            let changed = claims != self.config
            self.config = claims
            if changed {
                self.statistics.configUpdates += 1
                self.logger.info("config applied", metadata: ["version": "\(claims.version)"])
                self.onConfigChanged(claims)
            }
            return .success(claims)
        }
    }

    /// Fetches the current config over mutual TLS and applies it.
    @discardableResult
    public func refreshConfig() async -> Bool {
        self.statistics.configRefreshes += 1
        do {
            let answer = try await self.client.config(apiURL: self.config.apiURL, ca: self.trust, identity: try self.nioIdentity())
            if case .success = await self.apply(configToken: answer.config) { return true }
            return false
        } catch {
            self.statistics.configRefreshFailures += 1
            self.logger.warning("config refresh failed, keeping the config in force", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Asks the refresh loop to fetch the config now (SIGHUP, `ztagent config refresh`).
    public func requestRefresh() {
        self.refreshRequests?.yield()
    }

    // MARK: renewal

    /// Renews now: new key, CSR over mutual TLS, check, store, hand over.
    public func renew() async throws {
        let commonName = self.commonName
        AtomicFile.removeStaleTemporaryFiles(in: self.paths.directory)
        let (key, csr) = try CSRFactory.make(commonName: commonName)
        let answer: IdentityResponse
        do {
            answer = try await self.client.renew(apiURL: self.config.apiURL, request: RenewRequest(csr: csr), ca: self.trust, identity: try self.nioIdentity())
        } catch let error as EnrollmentClientError {
            throw EnrollmentError.refused("\(error)")
        }
        let certificate = try IssuedIdentityChecker.check(certificatePEM: answer.certificate, ca: self.ca, key: key, commonName: commonName)
        let renewed = try TLSIdentity(certificateChain: [certificate], privateKey: key)
        try AgentIdentityFile.write(renewed, to: self.paths.identity)  // on disk before it is used
        self.identity = renewed
        self.statistics.renewals += 1
        self.logger.info("certificate renewed", metadata: ["cn": "\(commonName)", "not_after": "\(certificate.notValidAfter)"])
        self.onIdentityChanged(renewed)
        await self.apply(configToken: answer.config)
    }

    /// Picks up an identity renewed by another process (`ztagent renew`): used only if it is for
    /// this CN, signed by the pinned CA and its key matches.
    public func reloadIdentityFromDisk() {
        guard let onDisk = try? AgentIdentityFile.load(self.paths.identity),
              onDisk.leaf.serialNumber != self.identity.leaf.serialNumber,
              onDisk.commonName == self.commonName,
              self.ca.publicKey.isValidSignature(onDisk.leaf.signature, for: onDisk.leaf),
              onDisk.notValidAfter > Date()
        else { return }
        self.identity = onDisk
        self.logger.info("identity reloaded from disk", metadata: ["not_after": "\(onDisk.notValidAfter)"])
        self.onIdentityChanged(onDisk)
    }

    // MARK: loops

    /// Runs renewal and refresh until the task is cancelled.
    public func run() async {
        let (requests, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.refreshRequests = continuation
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.renewalLoop() }
            group.addTask { await self.refreshLoop(requests) }
            await group.waitForAll()
        }
    }

    private func renewalLoop() async {
        var failures = 0
        while !Task.isCancelled {
            let wait = self.renewalDue.timeIntervalSinceNow
            if wait > 0 {
                try? await Task.sleep(for: .milliseconds(Int64(wait * 1000)))
                if Task.isCancelled { return }
            }
            do {
                try await self.renew()
                failures = 0
            } catch {
                failures += 1
                self.statistics.renewalFailures += 1
                let remaining = self.identity.notValidAfter.timeIntervalSinceNow
                let backoff = max(1, min(pow(2, Double(min(failures, 6))), 60, remaining / 4))
                self.logger.warning("renewal failed, retrying", metadata: ["error": "\(error)", "retry_in_s": "\(Int(backoff))"])
                try? await Task.sleep(for: .milliseconds(Int64(backoff * 1000)))
            }
        }
    }

    private func refreshLoop(_ requests: AsyncStream<Void>) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in requests {
                    await self.reloadIdentityFromDisk()
                    await self.refreshConfig()
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    let interval = max(1, await self.config.refreshSeconds)
                    try? await Task.sleep(for: .seconds(interval))
                    if Task.isCancelled { return }
                    await self.refreshConfig()
                }
            }
            await group.next()
            group.cancelAll()
        }
    }

    private func nioIdentity() throws -> (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) {
        (try self.identity.nioCertificateChain(), try self.identity.nioPrivateKey())
    }
}
