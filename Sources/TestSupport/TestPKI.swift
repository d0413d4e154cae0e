import CertStore
import Crypto
import Foundation
import X509

/// Certificates made at test time in a fresh temp directory; files are real PEM that
/// openssl/dig/kdig accept.
///
/// Layout of ``directory`` (mode 0700): `ca.pem`/`ca.key` (the CA), `server.pem`/`server.key`
/// (the server, SAN = ``serverName``, EKU serverAuth, no IP SAN), and `<cn>.pem`/`<cn>.key` for
/// each client made with ``client(_:lifetime:)`` or ``expiredClient(_:)``. Keys are PKCS#8, 0600.
public struct TestPKI: Sendable {
    /// The fresh directory that holds every file (remove it with ``remove()``).
    public let directory: String
    /// The test CA (key and certificate), for issuing more certificates in tests.
    public let authority: CertificateAuthority
    /// `<directory>/ca.pem`, the CA certificate (trust anchor for both sides).
    public let caPath: String
    /// The DNS name in the server certificate's SAN, e.g. "dot.ztagent.test".
    public let serverName: String
    /// The server certificate (CN and SAN = serverName, serverAuth) and key.
    public let server: TestPKI.Files

    /// The two PEM files of one certificate and the identity they hold.
    public struct Files: Sendable {
        /// Path of the PEM certificate (leaf only).
        public let certificatePath: String
        /// Path of the PEM private key (PKCS#8, mode 0600).
        public let keyPath: String
        /// The same key and certificate, already loaded.
        public let identity: TLSIdentity

        /// Creates a value from its parts.
        public init(certificatePath: String, keyPath: String, identity: TLSIdentity) {
            self.certificatePath = certificatePath
            self.keyPath = keyPath
            self.identity = identity
        }
    }

    /// Makes a CA, a server certificate for `serverName` and their files in a new directory under
    /// `NSTemporaryDirectory()`.
    public init(serverName: String = "dot.ztagent.test") throws {
        let directory = try Self.makeTemporaryDirectory()
        do {
            let authority = try CertificateAuthority.generate(commonName: "ztagent test CA", lifetime: 7 * 86400)
            let caPath = directory + "/ca.pem"
            try authority.write(certificatePath: caPath, keyPath: directory + "/ca.key")
            let server = try Self.issue(
                .server(commonName: serverName, dnsNames: [serverName], lifetime: 86400),
                by: authority,
                fileStem: "server",
                in: directory
            )
            self.directory = directory
            self.authority = authority
            self.caPath = caPath
            self.serverName = serverName
            self.server = server
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    /// A client certificate with CN `commonName` (EKU clientAuth), valid from a minute ago for
    /// `lifetime` seconds, in `<cn>.pem` / `<cn>.key` (0600).
    public func client(_ commonName: String, lifetime: TimeInterval = 86400) throws -> Files {
        try Self.issue(
            .client(commonName: commonName, lifetime: lifetime),
            by: authority,
            fileStem: commonName,
            in: directory
        )
    }

    /// A client certificate from this CA whose validity ended an hour ago (it began two days ago).
    public func expiredClient(_ commonName: String) throws -> Files {
        let now = Date()
        let profile = IssuanceProfile(
            commonName: commonName,
            usage: .client,
            notValidBefore: now.addingTimeInterval(-2 * 86400),
            notValidAfter: now.addingTimeInterval(-3600)
        )
        return try Self.issue(profile, by: authority, fileStem: commonName, in: directory)
    }

    /// A client certificate from a different, throwaway CA (a server trusting this PKI's CA must
    /// refuse it), written as `<cn>.pem` / `<cn>.key` in `directory` (created 0700 if missing).
    public static func foreignClient(_ commonName: String, in directory: String) throws -> Files {
        try SecureDirectory.ensure(path: directory)
        let foreign = try CertificateAuthority.generate(commonName: "foreign test CA", lifetime: 7 * 86400)
        return try issue(.client(commonName: commonName, lifetime: 86400), by: foreign, fileStem: commonName, in: directory)
    }

    /// Another server certificate from this CA: CN `name`, SAN = `dnsNames` (default `[name]`),
    /// no IP SAN, in `<name>.pem` / `<name>.key`. (Addition: for routers or a second DoT server.)
    public func issueServer(_ name: String, dnsNames: [String]? = nil, lifetime: TimeInterval = 86400) throws -> Files {
        try Self.issue(
            .server(commonName: name, dnsNames: dnsNames ?? [name], lifetime: lifetime),
            by: authority,
            fileStem: name,
            in: directory
        )
    }

    /// Deletes ``directory`` and everything in it (errors are ignored).
    public func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private static func issue(
        _ profile: IssuanceProfile,
        by authority: CertificateAuthority,
        fileStem: String,
        in directory: String
    ) throws -> Files {
        guard !fileStem.isEmpty, fileStem != ".", fileStem != "..", !fileStem.contains("/") else {
            throw CertStoreError.invalidProfile(reason: "'\(fileStem)' cannot be used as a file name in \(directory)")
        }
        let key = P256.Signing.PrivateKey()
        let certificate = try authority.issue(profile, publicKey: key.publicKey)
        let identity = try TLSIdentity(certificateChain: [certificate], privateKey: key)
        let files = Files(
            certificatePath: "\(directory)/\(fileStem).pem",
            keyPath: "\(directory)/\(fileStem).key",
            identity: identity
        )
        try identity.write(certificatePath: files.certificatePath, keyPath: files.keyPath)
        return files
    }

    private static func makeTemporaryDirectory() throws -> String {
        var base = NSTemporaryDirectory()
        while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
        let path = "\(base)/ztagent-pki-\(UUID().uuidString.lowercased())"
        try SecureDirectory.ensure(path: path, mode: 0o700)
        return path
    }
}
