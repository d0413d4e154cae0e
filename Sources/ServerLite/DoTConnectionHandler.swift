import DNSTransport
import Logging
import NIOCore
import NIOSSL
import NIOTLS
import X509

/// Serves DNS on one authenticated DoT connection.
///
/// After the TLS handshake (which already required a certificate chaining to the CA) it reads the
/// peer's CN and closes the connection unless the CN is a registered, active endpoint. Then each
/// length-framed query is answered as soon as it is ready, in any order (RFC 7766), and the
/// connection is closed after an idle period with nothing in flight (RFC 7858).
final class DoTConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let resolver: ServerQueryResolver
    private let registry: ConnectionRegistry
    private let logger: Logger
    private var commonName: String?
    private var inFlight = 0

    init(resolver: ServerQueryResolver, registry: ConnectionRegistry, logger: Logger) {
        self.resolver = resolver
        self.registry = registry
        self.logger = logger
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tlsEvent = event as? TLSUserEvent, case .handshakeCompleted = tlsEvent {
            self.authenticate(context: context)
            return
        }
        if event is IdleStateHandler.IdleStateEvent {
            if self.inFlight == 0 { context.close(promise: nil) }
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
        statistics.tlsConnectionsAuthenticated.wrappingAdd(1, ordering: .relaxed)
        self.commonName = peer.commonName
        self.registry.add(context.channel, peer: peer)
        self.logger.debug("endpoint connected", metadata: ["cn": "\(peer.commonName)", "peer": "\(peerAddress)"])
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let commonName = self.commonName else {
            // Nothing is answered before the endpoint is known.
            context.close(promise: nil)
            return
        }
        let frame = self.unwrapInboundIn(data)
        switch self.resolver.resolve(Array(frame.readableBytesView), commonName: commonName, transport: .tcp, on: context.eventLoop) {
        case .now(let reply):
            if let reply { self.send(reply, context: context) }
        case .later(let future):
            self.inFlight += 1
            future.hop(to: context.eventLoop).assumeIsolated().whenComplete { [self] result in
                self.inFlight -= 1
                if case .success(let reply?) = result, context.channel.isActive {
                    self.send(reply, context: context)
                }
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        self.logger.debug("DoT connection error", metadata: ["error": "\(error)", "cn": "\(self.commonName ?? "-")"])
        context.close(promise: nil)
    }

    private func send(_ reply: [UInt8], context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: reply.count)
        buffer.writeBytes(reply)
        context.writeAndFlush(self.wrapOutboundOut(buffer), promise: nil)
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
