import Crypto
import SwiftASN1
import X509

extension Certificate {
    /// The value of the first common name (CN) attribute in the subject, if any.
    public var commonName: String? {
        for rdn in subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                if let name = String(attribute.value) { return name }
            }
        }
        return nil
    }

    /// Lowercase hex of SHA-256 over the certificate's DER encoding (64 characters).
    ///
    /// Empty only if the certificate cannot be serialized, which does not happen for certificates
    /// parsed or created by swift-certificates.
    public var fingerprintSHA256: String {
        guard let der = try? derBytes else { return "" }
        return Hex.encode(SHA256.hash(data: der))
    }

    /// The certificate's DER encoding.
    public var derBytes: [UInt8] {
        get throws {
            var serializer = DER.Serializer()
            do {
                try serializer.serialize(self)
            } catch {
                throw CertStoreError.encodingFailed(reason: "cannot serialize certificate \(subject) to DER: \(error)")
            }
            return serializer.serializedBytes
        }
    }

    /// Whether the certificate's public key is the public half of `privateKey`.
    func isCertified(_ privateKey: P256.Signing.PrivateKey) -> Bool {
        publicKey == Certificate.PublicKey(privateKey.publicKey)
    }

    /// Whether BasicConstraints marks the certificate as a CA.
    var isCertificateAuthority: Bool {
        guard let constraints = try? extensions.basicConstraints else { return false }
        if case .isCertificateAuthority = constraints { return true }
        return false
    }

    /// A short name for messages: the CN, else the whole subject.
    var displayName: String {
        commonName.map { "CN=\($0)" } ?? "\(subject)"
    }
}
