import NIOCore
import NIOSSL
import X509

/// Reads the authenticated peer's CN from a channel whose TLS handshake completed.
enum PeerCertificate {
    static func commonName(_ context: ChannelHandlerContext) -> String? {
        guard let certificate = try? context.pipeline.syncOperations.nioSSL_peerCertificate(),
              let parsed = try? Certificate(derEncoded: certificate.toDERBytes())
        else { return nil }
        return parsed.subject.commonNameValue
    }

    /// The CN and serial, when the peer's certificate (whose chain TLS verified) is meant for
    /// client authentication.
    static func clientPeer(_ context: ChannelHandlerContext) -> AuthenticatedPeer? {
        guard let certificate = try? context.pipeline.syncOperations.nioSSL_peerCertificate(),
              let parsed = try? Certificate(derEncoded: certificate.toDERBytes()),
              let usages = try? parsed.extensions.extendedKeyUsage, usages.contains(.clientAuth)
        else { return nil }
        return parsed.authenticatedPeer
    }
}
