import CertStore
import Crypto
import Foundation
import Testing
import X509

@Suite("PEMCodec")
struct PEMCodecTests {
    static func sampleChain() throws -> (CertificateAuthority, Certificate, P256.Signing.PrivateKey) {
        let ca = try CertificateAuthority.generate(commonName: "PEM Root")
        let key = P256.Signing.PrivateKey()
        let leaf = try ca.issue(.client(commonName: "pem-client", lifetime: 600), publicKey: key.publicKey)
        return (ca, leaf, key)
    }

    @Test("certificates round trip, one or many, in order")
    func certificateRoundTrip() throws {
        let (ca, leaf, _) = try Self.sampleChain()
        let one = try PEMCodec.encode(certificate: leaf)
        #expect(one.hasPrefix("-----BEGIN CERTIFICATE-----\n"))
        #expect(one.hasSuffix("-----END CERTIFICATE-----\n"))
        #expect(try PEMCodec.decodeCertificates(pem: one) == [leaf])

        let chain = try PEMCodec.encode(certificates: [leaf, ca.certificate])
        #expect(try PEMCodec.decodeCertificates(pem: chain) == [leaf, ca.certificate])
        // Text around blocks (as in system bundles) and other block types are ignored.
        let decorated = "subject=CN = x\n" + chain + "\n" + PEMCodec.encode(privateKey: P256.Signing.PrivateKey())
        #expect(try PEMCodec.decodeCertificates(pem: decorated) == [leaf, ca.certificate])
        #expect(try leaf.derBytes == Certificate(derEncoded: leaf.derBytes).derBytes)
    }

    @Test("private keys round trip as PKCS#8 and openssl reads them")
    func keyRoundTrip() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let key = P256.Signing.PrivateKey()
        let pem = PEMCodec.encode(privateKey: key)
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        #expect(try PEMCodec.decodePrivateKey(pem: pem).rawRepresentation == key.rawRepresentation)

        let path = try scratch.write(pem, to: "k.pem")
        let result = try OpenSSL.run(["pkey", "-in", path, "-pubout"])
        #expect(result.succeeded, "\(result.error)")
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines)
            == key.publicKey.pemRepresentation.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test("SEC1 keys from openssl ecparam load, with or without the EC PARAMETERS block")
    func sec1Keys() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        for extra in [["-noout"], []] {
            let result = try OpenSSL.run(["ecparam", "-genkey", "-name", "prime256v1"] + extra)
            #expect(result.succeeded)
            #expect(result.output.contains("-----BEGIN EC PRIVATE KEY-----"))
            let key = try PEMCodec.decodePrivateKey(pem: result.output)
            // Compare with openssl's view of the public key.
            let path = try scratch.write(result.output, to: "sec1.pem")
            let pub = try OpenSSL.run(["pkey", "-in", path, "-pubout"]).output
            #expect(pub.trimmingCharacters(in: .whitespacesAndNewlines)
                == key.publicKey.pemRepresentation.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    @Test("PKCS#8 keys from openssl genpkey load")
    func opensslPKCS8() throws {
        let result = try OpenSSL.run(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"])
        #expect(result.output.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        _ = try PEMCodec.decodePrivateKey(pem: result.output)
    }

    @Test("keys of other curves or algorithms, and encrypted keys, are refused")
    func otherKeys() throws {
        let p384 = try OpenSSL.run(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"]).output
        #expect(throws: CertStoreError.self) { try PEMCodec.decodePrivateKey(pem: p384) }
        let p384sec1 = try OpenSSL.run(["ecparam", "-genkey", "-name", "secp384r1", "-noout"]).output
        #expect(throws: CertStoreError.self) { try PEMCodec.decodePrivateKey(pem: p384sec1) }
        let ed = try OpenSSL.run(["genpkey", "-algorithm", "ED25519"]).output
        #expect(throws: CertStoreError.self) { try PEMCodec.decodePrivateKey(pem: ed) }
        let rsa = try OpenSSL.run(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"]).output
        #expect(throws: CertStoreError.self) { try PEMCodec.decodePrivateKey(pem: rsa) }
        let encrypted = try OpenSSL.run([
            "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes-128-cbc", "-pass", "pass:secret",
        ]).output
        #expect(encrypted.contains("ENCRYPTED PRIVATE KEY"))
        let error = #expect(throws: CertStoreError.self) { try PEMCodec.decodePrivateKey(pem: encrypted) }
        #expect(error?.description.contains("encrypted") == true)
    }

    @Test("garbage, empty and truncated PEM throw", arguments: [
        "",
        "   \n\n",
        "garbage",
        "-----BEGIN CERTIFICATE-----",
        "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
        "-----BEGIN CERTIFICATE-----\n!!!!notbase64!!!!\n-----END CERTIFICATE-----\n",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END PRIVATE KEY-----\n",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        "-----BEGIN EC PRIVATE KEY-----\nMAA=\n-----END EC PRIVATE KEY-----\n",
        "\u{0}\u{1}\u{2}\u{FFFD}",
    ])
    func garbage(_ text: String) {
        #expect(throws: CertStoreError.self) { try PEMCodec.decodeCertificates(pem: text) }
        #expect(throws: CertStoreError.self) { try PEMCodec.decodePrivateKey(pem: text) }
    }

    @Test("a certificate is not a key and a key is not a certificate")
    func wrongTypes() throws {
        let (_, leaf, key) = try Self.sampleChain()
        let certPEM = try PEMCodec.encode(certificate: leaf)
        let keyPEM = PEMCodec.encode(privateKey: key)
        #expect(throws: CertStoreError.self) { try PEMCodec.decodePrivateKey(pem: certPEM) }
        #expect(throws: CertStoreError.self) { try PEMCodec.decodeCertificates(pem: keyPEM) }
        // A key block relabelled as a certificate.
        let relabelled = keyPEM.replacingOccurrences(of: "PRIVATE KEY", with: "CERTIFICATE")
        #expect(throws: CertStoreError.self) { try PEMCodec.decodeCertificates(pem: relabelled) }
    }

    @Test("every truncation and many corruptions of valid PEM throw or decode, never crash")
    func truncationsAndCorruptions() throws {
        let (_, leaf, key) = try Self.sampleChain()
        let certPEM = try PEMCodec.encode(certificate: leaf)
        let keyPEM = PEMCodec.encode(privateKey: key)
        for pem in [certPEM, keyPEM] {
            let characters = Array(pem)
            // Every prefix shorter than the full text lacks the END line and must throw.
            for length in stride(from: 0, to: characters.count - 1, by: 3) {
                let prefix = String(characters[0..<length])
                #expect(throws: CertStoreError.self) { try PEMCodec.decodeCertificates(pem: prefix) }
                #expect(throws: CertStoreError.self) { try PEMCodec.decodePrivateKey(pem: prefix) }
            }
            var generator = SystemRandomNumberGenerator()
            let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-\n ")
            for _ in 0..<300 {
                var mutated = characters
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    let index = Int.random(in: 0..<mutated.count, using: &generator)
                    mutated[index] = alphabet[Int.random(in: 0..<alphabet.count, using: &generator)]
                }
                _ = try? PEMCodec.decodeCertificates(pem: String(mutated))
                _ = try? PEMCodec.decodePrivateKey(pem: String(mutated))
            }
        }
    }

    @Test("errors about malformed key PEM never quote the key")
    func noKeyMaterialInErrors() throws {
        let pem = PEMCodec.encode(privateKey: P256.Signing.PrivateKey())
        let body = pem.split(separator: "\n")[1]
        let malformed = [
            pem.replacingOccurrences(of: "-----BEGIN PRIVATE KEY-----\n", with: "-----BEGIN PRIVATE KEY\n"),
            pem.replacingOccurrences(of: "-----END PRIVATE KEY-----", with: "-----END EC PRIVATE KEY-----"),
            pem.replacingOccurrences(of: "-----BEGIN PRIVATE KEY-----", with: "-----BEGIN PRIVATE KEY-----\n" + body),
            pem.replacingOccurrences(of: "-----END PRIVATE KEY-----", with: "-----END \(body.prefix(40))-----"),
        ]
        for text in malformed {
            for error in [
                #expect(throws: CertStoreError.self) { try PEMCodec.decodePrivateKey(pem: text) },
                #expect(throws: CertStoreError.self) { try PEMCodec.decodeCertificates(pem: text) },
            ] {
                let message = error?.description ?? ""
                #expect(!message.contains(body.prefix(16)), "error message quotes key material")
            }
        }
    }
}
