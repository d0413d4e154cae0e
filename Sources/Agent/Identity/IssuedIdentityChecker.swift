import CertStore
import Crypto
import Foundation
import X509

/// Checks what the server issued before it is stored: the certificate is signed by the pinned
/// CA, carries our new public key and the expected CN, and is valid now.
enum IssuedIdentityChecker {
    static func check(certificatePEM: String, ca: Certificate, key: P256.Signing.PrivateKey, commonName: String, now: Date = Date()) throws -> Certificate {
        guard let certificate = try? PEMCodec.decodeCertificates(pem: certificatePEM).first else {
            throw EnrollmentError.badAnswer("the issued certificate is not PEM")
        }
        guard ca.publicKey.isValidSignature(certificate.signature, for: certificate) else {
            throw EnrollmentError.badAnswer("the issued certificate is not signed by the pinned CA")
        }
        guard P256.Signing.PublicKey(certificate.publicKey)?.rawRepresentation == key.publicKey.rawRepresentation else {
            throw EnrollmentError.badAnswer("the issued certificate is for another key")
        }
        guard certificate.commonName == commonName else {
            throw EnrollmentError.badAnswer("the issued certificate names '\(certificate.commonName ?? "-")', not '\(commonName)'")
        }
        guard certificate.notValidBefore <= now.addingTimeInterval(120), certificate.notValidAfter > now else {
            throw EnrollmentError.badAnswer("the issued certificate is not valid now")
        }
        return certificate
    }
}
