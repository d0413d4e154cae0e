import Foundation
import NIOCore
import NIOSSL
import SwiftASN1
import X509

/// Decides, inside the TLS handshake, whether a client may connect: the chain must verify to
/// the CA (RFC 5280: signatures, validity), the leaf must be for client authentication, and its
/// CN must be a registered, active endpoint whose current serial (or previous one, in its grace
/// window after a renewal) is the leaf's. A refusal fails the handshake with a TLS alert, so
/// a revoked agent learns at once that its identity was refused.
public struct ClientCertificateVerifier: Sendable {
    private let authority: Certificate
    private let snapshot: @Sendable () -> ServerStateSnapshot

    public init(authority: Certificate, snapshot: @escaping @Sendable () -> ServerStateSnapshot) {
        self.authority = authority
        self.snapshot = snapshot
    }

    /// The outcome, with the CN when there is one.
    public enum Outcome: Sendable, Equatable {
        case accepted(AuthenticatedPeer)
        case rejected(ClientCertificateRefusal, commonName: String?)
    }

    public func verify(_ chain: [NIOSSLCertificate], at now: Date = Date()) async -> Outcome {
        guard let first = chain.first, let leaf = try? Certificate(derEncoded: first.toDERBytes()) else {
            return .rejected(.noCertificate, commonName: nil)
        }
        let commonName = leaf.subject.commonNameValue
        let intermediates = chain.dropFirst().compactMap { try? Certificate(derEncoded: $0.toDERBytes()) }
        var verifier = Verifier(rootCertificates: CertificateStore([self.authority])) {
            RFC5280Policy()
        }
        guard case .validCertificate = await verifier.validate(leaf: leaf, intermediates: CertificateStore(intermediates)) else {
            return .rejected(.chainInvalid, commonName: commonName)
        }
        guard let usages = try? leaf.extensions.extendedKeyUsage, usages.contains(.clientAuth) else {
            return .rejected(.notClientAuthentication, commonName: commonName)
        }
        guard let peer = leaf.authenticatedPeer else { return .rejected(.noCommonName, commonName: nil) }
        if let refusal = self.snapshot().admission(of: peer, at: now) {
            return .rejected(.identity(refusal), commonName: peer.commonName)
        }
        return .accepted(peer)
    }

    /// The NIOSSL callback form: completes `promise` with the verdict; `onAccepted` and
    /// `onRejected` are told who, and why not.
    public func callback(onAccepted: @escaping @Sendable (AuthenticatedPeer) -> Void = { _ in }, onRejected: @escaping @Sendable (ClientCertificateRefusal, String?) -> Void) -> NIOSSLCustomVerificationCallback {
        { certificates, promise in
            Task {
                switch await self.verify(certificates) {
                case .accepted(let peer):
                    onAccepted(peer)
                    promise.succeed(.certificateVerified)
                case .rejected(let reason, let commonName):
                    onRejected(reason, commonName)
                    promise.succeed(.failed)
                }
            }
        }
    }
}
