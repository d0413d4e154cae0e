import Crypto
import Foundation
import SwiftASN1
import X509

/// A CA: a P-256 key and its self-signed certificate (BasicConstraints CA with pathLen 0,
/// KeyUsage keyCertSign|cRLSign, SubjectKeyIdentifier).
///
/// It signs leaf certificates only (pathLen 0: no intermediate CAs below it).
public struct CertificateAuthority: Sendable {
    /// The CA's self-signed certificate.
    public let certificate: Certificate
    /// The CA's signing key. Never log it.
    public let privateKey: P256.Signing.PrivateKey

    /// Pairs a CA certificate with its key.
    /// - Throws: ``CertStoreError/keyMismatch(certificatePath:keyPath:subject:)`` when the key is
    ///   not the certificate's, ``CertStoreError/notACertificateAuthority(path:subject:)`` when the
    ///   certificate is not a CA.
    public init(certificate: Certificate, privateKey: P256.Signing.PrivateKey) throws {
        guard certificate.isCertified(privateKey) else {
            throw CertStoreError.keyMismatch(certificatePath: nil, keyPath: nil, subject: certificate.displayName)
        }
        guard certificate.isCertificateAuthority else {
            throw CertStoreError.notACertificateAuthority(path: nil, subject: certificate.displayName)
        }
        self.certificate = certificate
        self.privateKey = privateKey
    }

    /// Creates a new CA with a fresh P-256 key, valid from `now` − 60 s until `now` + `lifetime`
    /// (default ten years).
    public static func generate(
        commonName: String,
        lifetime: TimeInterval = 10 * 365 * 86400,
        now: Date = Date()
    ) throws -> CertificateAuthority {
        guard !commonName.isEmpty else {
            throw CertStoreError.invalidProfile(reason: "CA common name is empty")
        }
        guard lifetime > 0 else {
            throw CertStoreError.invalidProfile(reason: "CA lifetime must be positive")
        }
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        do {
            let name = try DistinguishedName { CommonName(commonName) }
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: publicKey)
            }
            let certificate = try Certificate(
                version: .v3,
                serialNumber: Self.randomSerialNumber(),
                publicKey: publicKey,
                notValidBefore: now.addingTimeInterval(-IssuanceProfile.backdate),
                notValidAfter: now.addingTimeInterval(lifetime),
                issuer: name,
                subject: name,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: extensions,
                issuerPrivateKey: Certificate.PrivateKey(key)
            )
            return try CertificateAuthority(certificate: certificate, privateKey: key)
        } catch let error as CertStoreError {
            throw error
        } catch {
            throw CertStoreError.issuanceFailed(reason: "cannot create CA certificate for CN=\(commonName): \(error)")
        }
    }

    /// Issues a leaf certificate (not a CA) for `publicKey`.
    ///
    /// The certificate has: a random 16-byte positive serial number; subject CN = the profile's
    /// common name; issuer = this CA's subject; the profile's validity window (not clamped to the
    /// CA's); BasicConstraints CA:FALSE (critical); KeyUsage digitalSignature (critical);
    /// ExtendedKeyUsage serverAuth / clientAuth / both per ``IssuanceProfile/Usage``;
    /// SubjectAlternativeNames for server usages (DNS names; IP addresses only when given);
    /// SubjectKeyIdentifier; AuthorityKeyIdentifier = this CA's SKI; signed with ecdsaWithSHA256.
    /// - Throws: ``CertStoreError/invalidProfile(reason:)`` for an empty CN, an empty or inverted
    ///   validity window, a server usage without any name, or an unparsable IP address.
    public func issue(_ profile: IssuanceProfile, publicKey: P256.Signing.PublicKey) throws -> Certificate {
        guard !profile.commonName.isEmpty else {
            throw CertStoreError.invalidProfile(reason: "common name is empty")
        }
        guard profile.notValidAfter > profile.notValidBefore else {
            throw CertStoreError.invalidProfile(
                reason: "notValidAfter (\(profile.notValidAfter)) is not after notValidBefore (\(profile.notValidBefore)) for CN=\(profile.commonName)"
            )
        }

        let usages: [ExtendedKeyUsage.Usage]
        var names: [GeneralName] = []
        switch profile.usage {
        case .client:
            usages = [.clientAuth]
        case .server(let dnsNames, let ipAddresses):
            usages = [.serverAuth]
            names = try Self.dnsNames(dnsNames, commonName: profile.commonName)
            for text in ipAddresses {
                guard let bytes = IPAddressBytes.parse(text) else {
                    throw CertStoreError.invalidProfile(reason: "'\(text)' is not an IPv4 or IPv6 address (CN=\(profile.commonName))")
                }
                names.append(.ipAddress(ASN1OctetString(contentBytes: bytes[...])))
            }
            guard !names.isEmpty else {
                throw CertStoreError.invalidProfile(reason: "a server certificate needs at least one DNS name or IP address (CN=\(profile.commonName))")
            }
        case .serverAndClient(let dnsNames):
            usages = [.serverAuth, .clientAuth]
            names = try Self.dnsNames(dnsNames, commonName: profile.commonName)
        }

        let subjectKey = Certificate.PublicKey(publicKey)
        do {
            let authorityKeyID = try certificate.extensions.subjectKeyIdentifier?.keyIdentifier
                ?? SubjectKeyIdentifier(hash: certificate.publicKey).keyIdentifier
            let subject = try DistinguishedName { CommonName(profile.commonName) }
            let sanNames = names
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage(usages)
                if !sanNames.isEmpty {
                    SubjectAlternativeNames(sanNames)
                }
                SubjectKeyIdentifier(hash: subjectKey)
                AuthorityKeyIdentifier(keyIdentifier: authorityKeyID)
            }
            return try Certificate(
                version: .v3,
                serialNumber: Self.randomSerialNumber(),
                publicKey: subjectKey,
                notValidBefore: profile.notValidBefore,
                notValidAfter: profile.notValidAfter,
                issuer: certificate.subject,
                subject: subject,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: extensions,
                issuerPrivateKey: Certificate.PrivateKey(privateKey)
            )
        } catch let error as CertStoreError {
            throw error
        } catch {
            throw CertStoreError.issuanceFailed(reason: "cannot issue certificate for CN=\(profile.commonName): \(error)")
        }
    }

    /// Loads the CA certificate and key from PEM files.
    ///
    /// With `requireStrictPermissions` (the default) the key file must not be accessible by group
    /// or others (0600 or stricter) and the key's directory must be private (0700 or stricter).
    /// - Throws: ``CertStoreError`` naming the offending file or directory.
    public static func load(
        certificatePath: String,
        keyPath: String,
        requireStrictPermissions: Bool = true
    ) throws -> CertificateAuthority {
        if requireStrictPermissions {
            try SecureDirectory.check(path: POSIXFile.directoryName(of: keyPath))
        }
        let keyText = try POSIXFile.readPrivateKeyText(path: keyPath, strict: requireStrictPermissions)
        let key: P256.Signing.PrivateKey
        do {
            key = try PEMCodec.decodePrivateKey(pem: keyText)
        } catch let error as CertStoreError {
            throw error.attributed(to: keyPath)
        }
        let certificates: [Certificate]
        do {
            certificates = try PEMCodec.decodeCertificates(pem: try POSIXFile.readText(path: certificatePath))
        } catch let error as CertStoreError {
            throw error.attributed(to: certificatePath)
        }
        guard let certificate = certificates.first else {
            throw CertStoreError.emptyCertificateChain(path: certificatePath)
        }
        do {
            return try CertificateAuthority(certificate: certificate, privateKey: key)
        } catch CertStoreError.keyMismatch(_, _, let subject) {
            throw CertStoreError.keyMismatch(certificatePath: certificatePath, keyPath: keyPath, subject: subject)
        } catch let error as CertStoreError {
            throw error.attributed(to: certificatePath)
        }
    }

    /// Writes the key (0600) and then the certificate (0644), each atomically.
    /// The directories must exist; make them with ``SecureDirectory/ensure(path:mode:)``.
    public func write(certificatePath: String, keyPath: String) throws {
        try AtomicFile.write(PEMCodec.encode(privateKey: privateKey), to: keyPath, mode: 0o600)
        try AtomicFile.write(PEMCodec.encode(certificate: certificate), to: certificatePath, mode: 0o644)
    }

    /// Lowercase hex SHA-256 of the CA certificate's DER (what enrollment tokens pin).
    public var fingerprintSHA256: String {
        certificate.fingerprintSHA256
    }

    /// A random positive serial number of exactly 16 bytes.
    static func randomSerialNumber() -> Certificate.SerialNumber {
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[0] &= 0x7F
        if bytes[0] == 0 { bytes[0] = 0x01 }
        return Certificate.SerialNumber(bytes: bytes)
    }

    private static func dnsNames(_ names: [String], commonName: String) throws -> [GeneralName] {
        try names.map { name in
            guard !name.isEmpty, name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw CertStoreError.invalidProfile(reason: "'\(name)' is not a valid DNS name (CN=\(commonName))")
            }
            return .dnsName(name)
        }
    }
}
