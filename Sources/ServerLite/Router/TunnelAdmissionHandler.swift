import Logging
import NIOCore
import NIOExtras
import NIOTLS
import TunnelRelay
import ZTProtocol

/// Sits at the end of a tunnel connection's pipeline: learns the SNI from the ClientHello, and
/// once mutual TLS is done, routes the connection (or turns it into a reverse-tunnel control or
/// data connection for a service endpoint). Also closes the tunnel when it idles.
final class TunnelAdmissionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    /// A quiet control connection gets a PING this often (and is closed when the next one
    /// finds the previous unanswered).
    static let controlPingInterval: TimeAmount = .seconds(20)

    private let admission: RouteAdmission
    private let hub: ReverseTunnelHub
    private var serverName: String?
    private var admitted = false

    init(admission: RouteAdmission, hub: ReverseTunnelHub) {
        self.admission = admission
        self.hub = hub
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let seen as ClientHelloSeen:
            self.serverName = seen.info.serverName
        case let tls as TLSUserEvent:
            if case .handshakeCompleted = tls, !self.admitted {
                self.admitted = true
                self.admit(context: context)
            }
        case is IdleStateHandler.IdleStateEvent:
            context.close(promise: nil)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Reads are held by PendingSpliceHandler before the splice and consumed by it after;
        // anything reaching here is a connection that was never admitted.
        context.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    private func admit(context: ChannelHandlerContext) {
        guard let peer = PeerCertificate.clientPeer(context) else {
            self.admission.refuse(.noCertificate, context: context, listener: "tunnel", commonName: nil, serverName: self.serverName)
            return
        }
        switch self.serverName {
        case ReverseTunnelProtocol.controlServerName?, ReverseTunnelProtocol.dataServerName?:
            self.admitReverse(context: context, peer: peer)
        default:
            switch self.admission.decide(serverName: self.serverName, peer: peer) {
            case .failure(let reason):
                self.admission.refuse(reason, context: context, listener: "tunnel", commonName: peer.commonName, serverName: self.serverName)
            case .success(let route):
                self.admission.connect(route, serverName: self.serverName ?? "", peer: peer, listener: "tunnel", context: context)
            }
        }
    }

    /// A service endpoint's control or data connection: the held bytes are released into the
    /// protocol's own handlers.
    private func admitReverse(context: ChannelHandlerContext, peer: AuthenticatedPeer) {
        let commonName = peer.commonName
        let snapshot = self.admission.snapshot()
        if let refusal = snapshot.admission(of: peer) {
            self.admission.refuse(RouteRefusal(refusal), context: context, listener: "tunnel", commonName: commonName, serverName: self.serverName)
            return
        }
        guard snapshot.endpoints[commonName]?.kind == .service else {
            self.admission.refuse(.notServiceEndpoint, context: context, listener: "tunnel", commonName: commonName, serverName: self.serverName)
            return
        }
        do {
            let operations = context.pipeline.syncOperations
            let pending = try operations.context(handlerType: PendingSpliceHandler.self)
            guard let holder = pending.handler as? PendingSpliceHandler else { throw ChannelPipelineError.notFound }
            if self.serverName == ReverseTunnelProtocol.controlServerName {
                self.admission.connections.add(context.channel, peer: peer, serverName: ReverseTunnelProtocol.controlServerName)
                try operations.addHandlers([
                    IdleStateHandler(readTimeout: Self.controlPingInterval),
                    LineFrameDecoder(maximumLength: ReverseTunnelProtocol.maximumLineLength),
                    ReverseControlHandler(commonName: commonName, hub: self.hub, snapshot: self.admission.snapshot, logger: self.admission.logger),
                ], position: .after(pending.handler))
            } else {
                self.admission.connections.add(context.channel, peer: peer, serverName: ReverseTunnelProtocol.dataServerName)
                try operations.addHandler(ReverseDataAcceptHandler(commonName: commonName, hub: self.hub, logger: self.admission.logger), position: .after(pending.handler))
            }
            holder.release(context: pending)
            // The reverse protocol's handlers own the connection from here on.
            operations.removeHandler(context: context, promise: nil)
        } catch {
            context.close(promise: nil)
        }
    }
}
