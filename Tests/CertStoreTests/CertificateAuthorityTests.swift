import CertStore
import Crypto
import Foundation
import Testing
import X509

@Suite("CertificateAuthority")
struct CertificateAuthorityTests {
    @Test("generated CA is a pathLen-0 CA that openssl accepts")
    func generatedCA() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let ca = try CertificateAuthority.generate(commonName: "Test Root")
        #expect(ca.certificate.commonName == "Test Root")
        #expect(ca.certificate.issuer == ca.certificate.subject)
        #expect(try ca.certificate.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
        let usage = try #require(try ca.certificate.extensions.keyUsage)
        #expect(usage.keyCertSign && usage.cRLSign && !usage.digitalSignature)
        #expect(try ca.certificate.extensions.subjectKeyIdentifier != nil)
        #expect(ca.certificate.signatureAlgorithm == .ecdsaWithSHA256)

        try ca.write(certificatePath: scratch.file("ca.pem"), keyPath: scratch.file("ca.key"))
        let verify = try OpenSSL.run(["verify", "-CAfile", scratch.file("ca.pem"), scratch.file("ca.pem")])
        #expect(verify.succeeded, "\(verify.output)\(verify.error)")
        let text = try OpenSSL.run(["x509", "-noout", "-text", "-in", scratch.file("ca.pem")])
        #expect(text.output.contains("CA:TRUE, pathlen:0"))
        #expect(text.output.contains("Certificate Sign, CRL Sign"))
    }

    @Test("server and client leaves verify with openssl and carry the expected EKU and SAN")
    func issueLeaves() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let ca = try CertificateAuthority.generate(commonName: "Test Root")
        try ca.write(certificatePath: scratch.file("ca.pem"), keyPath: scratch.file("ca.key"))

        let serverKey = P256.Signing.PrivateKey()
        let server = try ca.issue(
            .server(commonName: "dot.example.test", dnsNames: ["dot.example.test", "alt.example.test"], lifetime: 3600),
            publicKey: serverKey.publicKey
        )
        try TLSIdentity(certificateChain: [server], privateKey: serverKey)
            .write(certificatePath: scratch.file("server.pem"), keyPath: scratch.file("server.key"))

        let clientKey = P256.Signing.PrivateKey()
        let client = try ca.issue(.client(commonName: "laptop-17", lifetime: 3600), publicKey: clientKey.publicKey)
        try TLSIdentity(certificateChain: [client], privateKey: clientKey)
            .write(certificatePath: scratch.file("client.pem"), keyPath: scratch.file("client.key"))

        let both = try ca.issue(
            IssuanceProfile(
                commonName: "svc-db",
                usage: .serverAndClient(dnsNames: ["db.example.test"]),
                notValidBefore: Date().addingTimeInterval(-60),
                notValidAfter: Date().addingTimeInterval(3600)
            ),
            publicKey: P256.Signing.PrivateKey().publicKey
        )
        try AtomicFile.write(PEMCodec.encode(certificate: both), to: scratch.file("both.pem"), mode: 0o644)

        let ca_pem = scratch.file("ca.pem")
        for leaf in ["server.pem", "client.pem", "both.pem"] {
            let result = try OpenSSL.run(["verify", "-CAfile", ca_pem, scratch.file(leaf)])
            #expect(result.succeeded, "\(leaf): \(result.output)\(result.error)")
        }
        // Purpose checks: EKU is enforced by openssl's -purpose.
        #expect(try OpenSSL.run(["verify", "-purpose", "sslserver", "-CAfile", ca_pem, scratch.file("server.pem")]).succeeded)
        #expect(try OpenSSL.run(["verify", "-purpose", "sslclient", "-CAfile", ca_pem, scratch.file("client.pem")]).succeeded)
        #expect(try !OpenSSL.run(["verify", "-purpose", "sslserver", "-CAfile", ca_pem, scratch.file("client.pem")]).succeeded)
        #expect(try !OpenSSL.run(["verify", "-purpose", "sslclient", "-CAfile", ca_pem, scratch.file("server.pem")]).succeeded)
        #expect(try OpenSSL.run(["verify", "-purpose", "sslclient", "-CAfile", ca_pem, scratch.file("both.pem")]).succeeded)
        #expect(try OpenSSL.run(["verify", "-purpose", "sslserver", "-CAfile", ca_pem, scratch.file("both.pem")]).succeeded)

        let serverText = try OpenSSL.run(["x509", "-noout", "-text", "-in", scratch.file("server.pem")]).output
        #expect(serverText.contains("TLS Web Server Authentication"))
        #expect(!serverText.contains("TLS Web Client Authentication"))
        #expect(serverText.contains("DNS:dot.example.test, DNS:alt.example.test"))
        #expect(!serverText.contains("IP Address"))
        #expect(serverText.contains("CA:FALSE"))
        #expect(serverText.contains("Digital Signature"))
        #expect(serverText.contains("Subject: CN = dot.example.test"))
        #expect(serverText.contains("Issuer: CN = Test Root"))
        #expect(serverText.contains("ecdsa-with-SHA256"))

        let clientText = try OpenSSL.run(["x509", "-noout", "-text", "-in", scratch.file("client.pem")]).output
        #expect(clientText.contains("TLS Web Client Authentication"))
        #expect(!clientText.contains("TLS Web Server Authentication"))
        #expect(!clientText.contains("Subject Alternative Name"))
        #expect(clientText.contains("Subject: CN = laptop-17"))

        let bothText = try OpenSSL.run(["x509", "-noout", "-text", "-in", scratch.file("both.pem")]).output
        #expect(bothText.contains("TLS Web Server Authentication, TLS Web Client Authentication"))
        #expect(bothText.contains("DNS:db.example.test"))
    }

    @Test("leaf details: 16-byte positive serial, AKI is the CA's SKI, validity as asked")
    func leafDetails() throws {
        let ca = try CertificateAuthority.generate(commonName: "Test Root")
        let now = Date()
        for _ in 0..<20 {
            let leaf = try ca.issue(.client(commonName: "c", lifetime: 600, now: now), publicKey: P256.Signing.PrivateKey().publicKey)
            #expect(leaf.serialNumber.bytes.count == 16)
            #expect((leaf.serialNumber.bytes.first ?? 0x80) < 0x80)
        }
        let leaf = try ca.issue(.client(commonName: "c", lifetime: 600, now: now), publicKey: P256.Signing.PrivateKey().publicKey)
        let aki = try #require(try leaf.extensions.authorityKeyIdentifier?.keyIdentifier)
        let ski = try #require(try ca.certificate.extensions.subjectKeyIdentifier?.keyIdentifier)
        #expect(aki == ski)
        #expect(try leaf.extensions.basicConstraints == .notCertificateAuthority)
        #expect(try leaf.extensions.extendedKeyUsage == ExtendedKeyUsage([.clientAuth]))
        #expect(abs(leaf.notValidBefore.timeIntervalSince(now) + 60) < 1.5)
        #expect(abs(leaf.notValidAfter.timeIntervalSince(now) - 600) < 1.5)
        #expect(leaf.issuer == ca.certificate.subject)
    }

    @Test("IP SANs only when given")
    func ipSANs() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let ca = try CertificateAuthority.generate(commonName: "Test Root")
        let leaf = try ca.issue(
            .server(commonName: "router", dnsNames: ["router.test"], ipAddresses: ["127.0.0.1", "::1"], lifetime: 600),
            publicKey: P256.Signing.PrivateKey().publicKey
        )
        let path = try scratch.write(PEMCodec.encode(certificate: leaf), to: "leaf.pem", mode: 0o644)
        let text = try OpenSSL.run(["x509", "-noout", "-text", "-in", path]).output
        #expect(text.contains("DNS:router.test, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"))
    }

    @Test("a client certificate from another CA fails openssl verify")
    func foreignClientFails() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let ca = try CertificateAuthority.generate(commonName: "Test Root")
        let other = try CertificateAuthority.generate(commonName: "Test Root")  // same name, different key
        try ca.write(certificatePath: scratch.file("ca.pem"), keyPath: scratch.file("ca.key"))
        let leaf = try other.issue(.client(commonName: "intruder", lifetime: 600), publicKey: P256.Signing.PrivateKey().publicKey)
        let path = try scratch.write(PEMCodec.encode(certificate: leaf), to: "intruder.pem", mode: 0o644)
        let result = try OpenSSL.run(["verify", "-CAfile", scratch.file("ca.pem"), path])
        #expect(!result.succeeded)
    }

    @Test("invalid profiles are refused")
    func invalidProfiles() throws {
        let ca = try CertificateAuthority.generate(commonName: "Test Root")
        let key = P256.Signing.PrivateKey().publicKey
        let now = Date()
        #expect(throws: CertStoreError.self) {
            try ca.issue(.client(commonName: "", lifetime: 600), publicKey: key)
        }
        #expect(throws: CertStoreError.self) {
            try ca.issue(IssuanceProfile(commonName: "x", usage: .client, notValidBefore: now, notValidAfter: now), publicKey: key)
        }
        #expect(throws: CertStoreError.self) {
            try ca.issue(.server(commonName: "x", dnsNames: [], lifetime: 600), publicKey: key)
        }
        #expect(throws: CertStoreError.self) {
            try ca.issue(.server(commonName: "x", dnsNames: ["x.test"], ipAddresses: ["300.1.1.1"], lifetime: 600), publicKey: key)
        }
        #expect(throws: CertStoreError.self) {
            try ca.issue(.server(commonName: "x", dnsNames: ["bad name"], lifetime: 600), publicKey: key)
        }
        #expect(throws: CertStoreError.self) {
            try CertificateAuthority.generate(commonName: "")
        }
    }

    @Test("init checks the key and that the certificate is a CA")
    func initChecks() throws {
        let ca = try CertificateAuthority.generate(commonName: "Test Root")
        let error = #expect(throws: CertStoreError.self) {
            try CertificateAuthority(certificate: ca.certificate, privateKey: P256.Signing.PrivateKey())
        }
        #expect(error?.description.contains("does not match") == true)

        let leafKey = P256.Signing.PrivateKey()
        let leaf = try ca.issue(.client(commonName: "leaf", lifetime: 600), publicKey: leafKey.publicKey)
        let notCA = #expect(throws: CertStoreError.self) {
            try CertificateAuthority(certificate: leaf, privateKey: leafKey)
        }
        #expect(notCA?.description.contains("not a CA") == true)
    }

    @Test("write then load round trip, strict permissions, fingerprint matches openssl")
    func loadAndWrite() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let ca = try CertificateAuthority.generate(commonName: "Test Root")
        let certPath = scratch.file("ca.pem")
        let keyPath = scratch.file("ca.key")
        try ca.write(certificatePath: certPath, keyPath: keyPath)
        #expect(try scratch.mode(of: "ca.key") == 0o600)
        #expect(try scratch.mode(of: "ca.pem") == 0o644)

        let loaded = try CertificateAuthority.load(certificatePath: certPath, keyPath: keyPath)
        #expect(loaded.certificate == ca.certificate)
        #expect(loaded.privateKey.rawRepresentation == ca.privateKey.rawRepresentation)
        #expect(loaded.fingerprintSHA256 == ca.fingerprintSHA256)

        let fingerprint = try OpenSSL.run(["x509", "-noout", "-fingerprint", "-sha256", "-in", certPath]).output
        let hex = fingerprint.split(separator: "=").last.map { $0.replacingOccurrences(of: ":", with: "").lowercased() }
        #expect(hex?.trimmingCharacters(in: .whitespacesAndNewlines) == ca.fingerprintSHA256)
        #expect(ca.fingerprintSHA256.count == 64)

        // Key readable by group: refused, naming the file.
        #expect(chmod(keyPath, 0o640) == 0)
        let keyError = #expect(throws: CertStoreError.self) {
            try CertificateAuthority.load(certificatePath: certPath, keyPath: keyPath)
        }
        #expect(keyError?.description.contains(keyPath) == true)
        #expect(try CertificateAuthority.load(certificatePath: certPath, keyPath: keyPath, requireStrictPermissions: false)
            .fingerprintSHA256 == ca.fingerprintSHA256)
        #expect(chmod(keyPath, 0o600) == 0)

        // Directory open to others: refused, naming the directory.
        #expect(chmod(scratch.path, 0o755) == 0)
        let dirError = #expect(throws: CertStoreError.self) {
            try CertificateAuthority.load(certificatePath: certPath, keyPath: keyPath)
        }
        #expect(dirError?.description.contains(scratch.path) == true)
        #expect(dirError?.description.contains("0755") == true)
        _ = try CertificateAuthority.load(certificatePath: certPath, keyPath: keyPath, requireStrictPermissions: false)
    }
}
