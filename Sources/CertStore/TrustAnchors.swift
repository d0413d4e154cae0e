import NIOSSL
import X509

/// Trust anchors (a CA bundle) from a PEM file.
public enum TrustAnchors {
    /// Every certificate in the PEM file at `path` (one or more CERTIFICATE blocks).
    /// - Throws: ``CertStoreError`` naming the file when it is missing, unreadable, malformed or
    ///   holds no certificate.
    public static func load(path: String) throws -> [Certificate] {
        do {
            return try PEMCodec.decodeCertificates(pem: try POSIXFile.readText(path: path))
        } catch let error as CertStoreError {
            throw error.attributed(to: path)
        }
    }

    /// The certificates as NIOSSL certificates, in order, for example for
    /// `TLSConfiguration.trustRoots = .certificates(...)`.
    public static func nioCertificates(_ certificates: [Certificate]) throws -> [NIOSSLCertificate] {
        try certificates.map { certificate in
            let der = try certificate.derBytes
            do {
                return try NIOSSLCertificate(bytes: der, format: .der)
            } catch {
                throw CertStoreError.tlsConversionFailed(reason: "NIOSSL rejected certificate \(certificate.displayName): \(error)")
            }
        }
    }
}
