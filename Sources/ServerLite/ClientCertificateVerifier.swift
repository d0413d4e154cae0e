import Foundation
import NIOCore
import NIOSSL
import SwiftASN1
import X509

/// Decides, inside the TLS handshake, whether a client may connect: the chain must verify to
/// the CA (RFC 5280: signatures, validity), the leaf must be for client authentication, and its
/// CN must be a registered, active endpoint. A refusal fails the handshake with a TLS alert, so
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
        case accepted(commonName: String)
        case rejected(reason: String, commonName: String?)
    }

    public func verify(_ chain: [NIOSSLCertificate]) async -> Outcome {
        guard let first = chain.first, let leaf = try? Certificate(derEncoded: first.toDERBytes()) else {
            return .rejected(reason: "no usable client certificate", commonName: nil)
        }
        let commonName = leaf.subject.commonNameValue
        let intermediates = chain.dropFirst().compactMap { try? Certificate(derEncoded: $0.toDERBytes()) }
        var verifier = Verifier(rootCertificates: CertificateStore([self.authority])) {
            RFC5280Policy()
        }
        guard case .validCertificate = await verifier.validate(leaf: leaf, intermediates: CertificateStore(intermediates)) else {
            return .rejected(reason: "certificate does not verify against the CA (expired, foreign or malformed)", commonName: commonName)
        }
        guard let usages = try? leaf.extensions.extendedKeyUsage, usages.contains(.clientAuth) else {
            return .rejected(reason: "certificate is not for client authentication", commonName: commonName)
        }
        guard let commonName else { return .rejected(reason: "certificate has no CN", commonName: nil) }
        guard let endpoint = self.snapshot().endpoints[commonName] else {
            return .rejected(reason: "unknown endpoint", commonName: commonName)
        }
        guard endpoint.status == .active else { return .rejected(reason: "endpoint revoked", commonName: commonName) }
        return .accepted(commonName: commonName)
    }

    /// The NIOSSL callback form: completes `promise` with the verdict; `onRejected` is told why.
    public func callback(onRejected: @escaping @Sendable (String, String?) -> Void) -> NIOSSLCustomVerificationCallback {
        { certificates, promise in
            Task {
                switch await self.verify(certificates) {
                case .accepted:
                    promise.succeed(.certificateVerified)
                case .rejected(let reason, let commonName):
                    onRejected(reason, commonName)
                    promise.succeed(.failed)
                }
            }
        }
    }
}
