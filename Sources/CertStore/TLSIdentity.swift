import Crypto
import Foundation
import NIOSSL
import X509

/// A private key and its certificate chain, used for TLS on either side (server or client).
public struct TLSIdentity: Sendable {
    /// The chain to present, leaf first (intermediates, if any, after it).
    public let certificateChain: [Certificate]
    /// The leaf's private key. Never log it.
    public let privateKey: P256.Signing.PrivateKey

    /// Pairs a chain with the leaf's key.
    /// - Throws: ``CertStoreError/emptyCertificateChain(path:)`` for an empty chain,
    ///   ``CertStoreError/keyMismatch(certificatePath:keyPath:subject:)`` when the key is not the leaf's.
    public init(certificateChain: [Certificate], privateKey: P256.Signing.PrivateKey) throws {
        guard let leaf = certificateChain.first else {
            throw CertStoreError.emptyCertificateChain(path: nil)
        }
        guard leaf.isCertified(privateKey) else {
            throw CertStoreError.keyMismatch(certificatePath: nil, keyPath: nil, subject: leaf.displayName)
        }
        self.certificateChain = certificateChain
        self.privateKey = privateKey
    }

    /// The end-entity certificate (first in the chain).
    public var leaf: Certificate {
        // `init` guarantees a non-empty chain.
        certificateChain[0]
    }

    /// The leaf's subject CN (the endpoint's identity).
    public var commonName: String? {
        leaf.commonName
    }

    /// When the leaf expires.
    public var notValidAfter: Date {
        leaf.notValidAfter
    }

    /// Loads the chain (one or more CERTIFICATE blocks, leaf first) and the key from PEM files.
    ///
    /// With `requireStrictPermissions` (the default) the key file must not be readable or writable
    /// by group or others (`mode & 0o077 == 0`); the error names the file and its mode.
    /// The key may be PKCS#8 or SEC1.
    /// - Throws: ``CertStoreError`` naming the file involved; a key that does not match the leaf
    ///   names both files.
    public static func load(
        certificatePath: String,
        keyPath: String,
        requireStrictPermissions: Bool = true
    ) throws -> TLSIdentity {
        let keyText = try POSIXFile.readPrivateKeyText(path: keyPath, strict: requireStrictPermissions)
        let key: P256.Signing.PrivateKey
        do {
            key = try PEMCodec.decodePrivateKey(pem: keyText)
        } catch let error as CertStoreError {
            throw error.attributed(to: keyPath)
        }
        let chain: [Certificate]
        do {
            chain = try PEMCodec.decodeCertificates(pem: try POSIXFile.readText(path: certificatePath))
        } catch let error as CertStoreError {
            throw error.attributed(to: certificatePath)
        }
        do {
            return try TLSIdentity(certificateChain: chain, privateKey: key)
        } catch CertStoreError.keyMismatch(_, _, let subject) {
            throw CertStoreError.keyMismatch(certificatePath: certificatePath, keyPath: keyPath, subject: subject)
        } catch let error as CertStoreError {
            throw error.attributed(to: certificatePath)
        }
    }

    /// Writes both files atomically (temporary file in the same directory, fsync, rename, fsync
    /// of the directory): first the key (mode 0600), then the chain (mode 0644).
    ///
    /// Key first, so a certificate on disk never refers to a key that was not yet durably written.
    /// Between the two renames a concurrent reader can see the new key with the old certificate;
    /// ``load(certificatePath:keyPath:requireStrictPermissions:)`` reports that as a key mismatch,
    /// so such a reader should retry. The directories must already exist.
    public func write(certificatePath: String, keyPath: String) throws {
        try AtomicFile.write(PEMCodec.encode(privateKey: privateKey), to: keyPath, mode: 0o600)
        try AtomicFile.write(PEMCodec.encode(certificates: certificateChain), to: certificatePath, mode: 0o644)
    }

    /// The chain as NIOSSL certificates (leaf first), for `TLSConfiguration.certificateChain`
    /// (wrap each in `.certificate(_)`).
    public func nioCertificateChain() throws -> [NIOSSLCertificate] {
        try TrustAnchors.nioCertificates(certificateChain)
    }

    /// The key as a NIOSSL private key, for `TLSConfiguration.privateKey` (wrap in `.privateKey(_)`).
    public func nioPrivateKey() throws -> NIOSSLPrivateKey {
        do {
            return try NIOSSLPrivateKey(bytes: Array(privateKey.derRepresentation), format: .der)
        } catch {
            throw CertStoreError.tlsConversionFailed(reason: "NIOSSL rejected the private key for \(leaf.displayName)")
        }
    }
}
