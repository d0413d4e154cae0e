import Crypto
import X509

/// Makes the host's key pair and a certificate signing request for it. The private key never
/// leaves the host: only the CSR (public key and a self-signature) is sent.
public enum CSRFactory {
    public static func make(commonName: String) throws -> (key: P256.Signing.PrivateKey, csrPEM: String) {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName { CommonName(commonName) }
        let csr = try CertificateSigningRequest(
            version: .v1, subject: subject, privateKey: Certificate.PrivateKey(key),
            attributes: CertificateSigningRequest.Attributes(), signatureAlgorithm: .ecdsaWithSHA256
        )
        return (key, try csr.serializeAsPEM().pemString)
    }
}
