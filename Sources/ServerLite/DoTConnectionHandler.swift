import DNSTransport
import Logging
import NIOCore
import NIOSSL
import NIOTLS
import X509

/// Admits one DoT connection, then hands it to the DNS serving code the stub uses too.
///
/// After the TLS handshake (which already required a certificate chaining to the CA) it reads the
/// peer's CN and closes the connection unless the CN is a registered, active endpoint. Then it
/// puts a ``DNSStreamServingHandler`` answering for that CN in its place: each length-framed
/// query is answered as soon as it is ready, in any order (RFC 7766), with a cap on queries in
/// flight, no reading while the client does not read its answers, and a close after an idle
/// period counted in complete queries (RFC 7858).
final class DoTConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let resolver: ServerQueryResolver
    private let registry: ConnectionRegistry
    private let logger: Logger
    private let maximumInFlight: Int
    private let idleTimeout: TimeAmount
    private var commonName: String?

    init(resolver: ServerQueryResolver, registry: ConnectionRegistry, logger: Logger, maximumInFlight: Int, idleTimeout: TimeAmount) {
        self.resolver = resolver
        self.registry = registry
        self.logger = logger
        self.maximumInFlight = maximumInFlight
        self.idleTimeout = idleTimeout
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tlsEvent = event as? TLSUserEvent, case .handshakeCompleted = tlsEvent {
            self.authenticate(context: context)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func authenticate(context: ChannelHandlerContext) {
        let statistics = self.resolver.statistics
        let peerAddress = context.channel.remoteAddress.map { "\($0)" } ?? "-"
        let peer: AuthenticatedPeer?
        do {
            if let certificate = try context.pipeline.syncOperations.nioSSL_peerCertificate() {
                peer = try Certificate(derEncoded: certificate.toDERBytes()).authenticatedPeer
            } else {
                peer = nil
            }
        } catch {
            peer = nil
        }
        guard let peer else {
            statistics.connectionsRefusedNoCertificate.wrappingAdd(1, ordering: .relaxed)
            self.logger.notice("refused connection: no usable client certificate CN", metadata: ["peer": "\(peerAddress)"])
            context.close(promise: nil)
            return
        }
        // Checked again after the handshake: a resumed session or a reload between the
        // verifier's look and now must not let a serial in that the registry no longer binds.
        if let refusal = self.resolver.snapshot.admission(of: peer) {
            statistics.refusedHandshake(.identity(refusal))
            self.logger.notice("refused connection: \(refusal.explanation)", metadata: ["cn": "\(peer.commonName)", "serial": "\(peer.serial)", "peer": "\(peerAddress)"])
            context.close(promise: nil)
            return
        }
        let resolver = self.resolver
        let commonName = peer.commonName
        do {
            try context.pipeline.syncOperations.addHandler(
                DNSStreamServingHandler(maximumInFlight: self.maximumInFlight, idleTimeout: self.idleTimeout) { bytes, loop in
                    resolver.streamReply(bytes, commonName: commonName, on: loop)
                },
                position: .after(self)
            )
        } catch {
            self.logger.debug("DoT connection could not be set up", metadata: ["error": "\(error)", "cn": "\(commonName)"])
            context.close(promise: nil)
            return
        }
        statistics.tlsConnectionsAuthenticated.wrappingAdd(1, ordering: .relaxed)
        self.commonName = commonName
        self.registry.add(context.channel, peer: peer)
        self.logger.debug("endpoint connected", metadata: ["cn": "\(commonName)", "peer": "\(peerAddress)"])
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Nothing is answered before the endpoint is known (after that this handler is gone).
        context.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        self.logger.debug("DoT connection error", metadata: ["error": "\(error)", "cn": "\(self.commonName ?? "-")"])
        context.close(promise: nil)
    }
}

extension DistinguishedName {
    /// The value of the first CN attribute, if any.
    var commonNameValue: String? {
        for rdn in self {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                if let text = String(attribute.value) { return text }
            }
        }
        return nil
    }
}
