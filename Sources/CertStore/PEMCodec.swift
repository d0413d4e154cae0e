import Crypto
import SwiftASN1
import X509

/// PEM helpers for certificates and P-256 private keys.
///
/// Decoding never traps: garbage, empty, truncated or wrongly typed input throws a
/// ``CertStoreError``. Errors from these functions carry no path; the file loaders in this module
/// add it.
public enum PEMCodec {
    /// PEM type of a certificate block.
    public static let certificateType = "CERTIFICATE"
    /// PEM type of a PKCS#8 private key block.
    public static let pkcs8PrivateKeyType = "PRIVATE KEY"
    /// PEM type of a SEC1 EC private key block.
    public static let sec1PrivateKeyType = "EC PRIVATE KEY"

    /// One `CERTIFICATE` block.
    public static func encode(certificate: Certificate) throws -> String {
        do {
            return try certificate.serializeAsPEM().pemString + "\n"
        } catch {
            throw CertStoreError.encodingFailed(reason: "cannot serialize certificate \(certificate.subject): \(error)")
        }
    }

    /// Concatenated `CERTIFICATE` blocks, in the given order (for a chain: leaf first).
    public static func encode(certificates: [Certificate]) throws -> String {
        var out = ""
        for certificate in certificates {
            out += try encode(certificate: certificate)
        }
        return out
    }

    /// A PKCS#8 `PRIVATE KEY` block, as `openssl`, `dig` and `kdig` read it.
    public static func encode(privateKey: P256.Signing.PrivateKey) -> String {
        privateKey.pemRepresentation + "\n"
    }

    /// Every `CERTIFICATE` block in `pem`, in order. Text outside blocks and blocks of other types
    /// (for example a key in a combined file) are ignored.
    /// - Throws: ``CertStoreError/invalidPEM(path:reason:)`` for malformed PEM,
    ///   ``CertStoreError/invalidCertificate(path:reason:)`` for a block that is not a certificate,
    ///   ``CertStoreError/emptyCertificateChain(path:)`` when there is no certificate at all.
    public static func decodeCertificates(pem: String) throws -> [Certificate] {
        let documents = try parseDocuments(pem, mayHoldKey: pem.contains("PRIVATE KEY"))
        var certificates: [Certificate] = []
        for (index, document) in documents.enumerated() where document.discriminator == certificateType {
            do {
                certificates.append(try Certificate(derEncoded: document.derBytes))
            } catch {
                throw CertStoreError.invalidCertificate(path: nil, reason: "PEM block #\(index + 1) is not a valid X.509 certificate: \(error)")
            }
        }
        guard !certificates.isEmpty else {
            throw CertStoreError.emptyCertificateChain(path: nil)
        }
        return certificates
    }

    /// The first private key in `pem`: PKCS#8 `PRIVATE KEY` or SEC1 `EC PRIVATE KEY`, P-256 only.
    /// Other blocks (for example `EC PARAMETERS` from `openssl ecparam -genkey`) are skipped.
    /// - Throws: ``CertStoreError/invalidPrivateKey(path:reason:)`` or
    ///   ``CertStoreError/invalidPEM(path:reason:)``. The message never contains key bytes.
    public static func decodePrivateKey(pem: String) throws -> P256.Signing.PrivateKey {
        let documents = try parseDocuments(pem, mayHoldKey: true)
        for document in documents {
            switch document.discriminator {
            case pkcs8PrivateKeyType, sec1PrivateKeyType:
                do {
                    return try P256.Signing.PrivateKey(pemRepresentation: document.pemString)
                } catch {
                    throw CertStoreError.invalidPrivateKey(
                        path: nil,
                        reason: "\(document.discriminator) block is not a valid P-256 private key"
                    )
                }
            case "ENCRYPTED PRIVATE KEY":
                throw CertStoreError.invalidPrivateKey(path: nil, reason: "encrypted private keys are not supported")
            case "RSA PRIVATE KEY":
                throw CertStoreError.invalidPrivateKey(path: nil, reason: "RSA keys are not supported; a P-256 key is required")
            default:
                continue
            }
        }
        throw CertStoreError.invalidPrivateKey(path: nil, reason: "no PRIVATE KEY or EC PRIVATE KEY block found")
    }

    /// Parses every PEM block. When the text may hold key material, the parser's message is
    /// withheld: it can quote text from the malformed input.
    private static func parseDocuments(_ pem: String, mayHoldKey: Bool) throws -> [PEMDocument] {
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: pem)
        } catch {
            let reason = mayHoldKey ? "malformed PEM (details withheld: the text may contain key material)" : "\(error)"
            throw CertStoreError.invalidPEM(path: nil, reason: reason)
        }
        guard !documents.isEmpty else {
            throw CertStoreError.invalidPEM(path: nil, reason: "no PEM block found")
        }
        return documents
    }
}
