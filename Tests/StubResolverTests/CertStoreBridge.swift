import CertStore
import NIOSSL

/// Loads a CA file as NIOSSL trust roots.
enum CertStoreBridge {
    static func trust(_ path: String) throws -> [NIOSSLCertificate] {
        try TrustAnchors.nioCertificates(try TrustAnchors.load(path: path))
    }
}
