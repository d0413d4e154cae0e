import CertStore
import Crypto
import Foundation
import Testing
import X509

@Suite("TLSIdentity")
struct TLSIdentityTests {
    @Test("write then load round trip with a two-certificate chain; modes 0600/0644")
    func roundTrip() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let ca = try CertificateAuthority.generate(commonName: "Id Root")
        let key = P256.Signing.PrivateKey()
        let now = Date()
        let leaf = try ca.issue(.client(commonName: "host-a", lifetime: 3600, now: now), publicKey: key.publicKey)
        let identity = try TLSIdentity(certificateChain: [leaf, ca.certificate], privateKey: key)
        #expect(identity.leaf == leaf)
        #expect(identity.commonName == "host-a")
        #expect(abs(identity.notValidAfter.timeIntervalSince(now) - 3600) < 1.5)

        try identity.write(certificatePath: scratch.file("id.pem"), keyPath: scratch.file("id.key"))
        #expect(try scratch.mode(of: "id.key") == 0o600)
        #expect(try scratch.mode(of: "id.pem") == 0o644)
        #expect(try scratch.entries() == ["id.key", "id.pem"])

        let loaded = try TLSIdentity.load(certificatePath: scratch.file("id.pem"), keyPath: scratch.file("id.key"))
        #expect(loaded.certificateChain == [leaf, ca.certificate])
        #expect(loaded.privateKey.rawRepresentation == key.rawRepresentation)

        // Overwrite with a renewed identity.
        let newKey = P256.Signing.PrivateKey()
        let renewed = try TLSIdentity(
            certificateChain: [ca.issue(.client(commonName: "host-a", lifetime: 7200), publicKey: newKey.publicKey)],
            privateKey: newKey
        )
        try renewed.write(certificatePath: scratch.file("id.pem"), keyPath: scratch.file("id.key"))
        let reloaded = try TLSIdentity.load(certificatePath: scratch.file("id.pem"), keyPath: scratch.file("id.key"))
        #expect(reloaded.leaf == renewed.leaf)
        #expect(try scratch.entries() == ["id.key", "id.pem"])
    }

    @Test("a 0644 key is refused with a message naming the file and its mode")
    func refusesOpenKey() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let ca = try CertificateAuthority.generate(commonName: "Id Root")
        let key = P256.Signing.PrivateKey()
        let identity = try TLSIdentity(
            certificateChain: [ca.issue(.client(commonName: "h", lifetime: 600), publicKey: key.publicKey)],
            privateKey: key
        )
        let keyPath = scratch.file("h.key")
        try identity.write(certificatePath: scratch.file("h.pem"), keyPath: keyPath)
        #expect(chmod(keyPath, 0o644) == 0)
        let error = #expect(throws: CertStoreError.self) {
            try TLSIdentity.load(certificatePath: scratch.file("h.pem"), keyPath: keyPath)
        }
        #expect(error == .insecureKeyPermissions(path: keyPath, mode: 0o644))
        #expect(error?.description.contains(keyPath) == true)
        #expect(error?.description.contains("0644") == true)
        // Opting out of the check loads it.
        let loaded = try TLSIdentity.load(certificatePath: scratch.file("h.pem"), keyPath: keyPath, requireStrictPermissions: false)
        #expect(loaded.commonName == "h")
        // 0400 is fine.
        #expect(chmod(keyPath, 0o400) == 0)
        _ = try TLSIdentity.load(certificatePath: scratch.file("h.pem"), keyPath: keyPath)
    }

    @Test("a key that does not match the certificate is refused, naming both files")
    func mismatch() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let ca = try CertificateAuthority.generate(commonName: "Id Root")
        let key = P256.Signing.PrivateKey()
        let leaf = try ca.issue(.client(commonName: "h", lifetime: 600), publicKey: key.publicKey)
        let certPath = try scratch.write(PEMCodec.encode(certificate: leaf), to: "h.pem", mode: 0o644)
        let keyPath = try scratch.write(PEMCodec.encode(privateKey: P256.Signing.PrivateKey()), to: "other.key")
        let error = #expect(throws: CertStoreError.self) {
            try TLSIdentity.load(certificatePath: certPath, keyPath: keyPath)
        }
        #expect(error?.description.contains(certPath) == true)
        #expect(error?.description.contains(keyPath) == true)

        #expect(throws: CertStoreError.self) {
            try TLSIdentity(certificateChain: [leaf], privateKey: P256.Signing.PrivateKey())
        }
        #expect(throws: CertStoreError.emptyCertificateChain(path: nil)) {
            try TLSIdentity(certificateChain: [], privateKey: key)
        }
    }

    @Test("missing and malformed files give errors naming the file")
    func badFiles() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let keyPath = try scratch.write(PEMCodec.encode(privateKey: P256.Signing.PrivateKey()), to: "k.key")
        let missing = scratch.file("missing.pem")
        #expect(throws: CertStoreError.fileNotFound(path: missing)) {
            try TLSIdentity.load(certificatePath: missing, keyPath: keyPath)
        }
        let garbage = try scratch.write("not a certificate\n", to: "garbage.pem", mode: 0o644)
        let error = #expect(throws: CertStoreError.self) {
            try TLSIdentity.load(certificatePath: garbage, keyPath: keyPath)
        }
        #expect(error?.description.contains(garbage) == true)
        let badKey = try scratch.write("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", to: "bad.key")
        let keyError = #expect(throws: CertStoreError.self) {
            try TLSIdentity.load(certificatePath: garbage, keyPath: badKey)
        }
        #expect(keyError?.description.contains(badKey) == true)
        #expect(throws: CertStoreError.notARegularFile(path: scratch.path)) {
            try TLSIdentity.load(certificatePath: scratch.path, keyPath: keyPath)
        }
    }

    @Test("trust anchors load from a bundle and convert to NIOSSL")
    func trustAnchors() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let one = try CertificateAuthority.generate(commonName: "Root One")
        let two = try CertificateAuthority.generate(commonName: "Root Two")
        let path = try scratch.write(PEMCodec.encode(certificates: [one.certificate, two.certificate]), to: "bundle.pem", mode: 0o644)
        let anchors = try TrustAnchors.load(path: path)
        #expect(anchors.map(\.commonName) == ["Root One", "Root Two"])
        #expect(try TrustAnchors.nioCertificates(anchors).count == 2)
        let empty = try scratch.write("", to: "empty.pem", mode: 0o644)
        let error = #expect(throws: CertStoreError.self) { try TrustAnchors.load(path: empty) }
        #expect(error?.description.contains(empty) == true)
        #expect(throws: CertStoreError.fileNotFound(path: scratch.file("nope.pem"))) {
            try TrustAnchors.load(path: scratch.file("nope.pem"))
        }
    }

    @Test("Certificate helpers: commonName, fingerprint, DER")
    func certificateHelpers() throws {
        let ca = try CertificateAuthority.generate(commonName: "Helper Root")
        #expect(ca.certificate.commonName == "Helper Root")
        let der = try ca.certificate.derBytes
        #expect(ca.certificate.fingerprintSHA256 == SHA256.hash(data: der).map { String(format: "%02x", $0) }.joined())
        let noCN = try Certificate(
            version: .v3,
            serialNumber: .init(),
            publicKey: .init(P256.Signing.PrivateKey().publicKey),
            notValidBefore: Date(),
            notValidAfter: Date().addingTimeInterval(60),
            issuer: ca.certificate.subject,
            subject: DistinguishedName { OrganizationName("No CN Inc") },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: Certificate.Extensions(),
            issuerPrivateKey: .init(ca.privateKey)
        )
        #expect(noCN.commonName == nil)
    }
}
