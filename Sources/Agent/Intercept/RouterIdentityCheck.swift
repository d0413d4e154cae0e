import NIOCore
import NIOSSL
import NIOTLS
import X509

/// After the TLS handshake with the router: its certificate must carry the server's name as a
/// DNS SAN and be meant for server authentication. Fails `promise` and closes otherwise.
final class RouterIdentityCheck: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let serverName: String
    private let promise: EventLoopPromise<Void>
    private var done = false

    init(serverName: String, promise: EventLoopPromise<Void>) {
        self.serverName = serverName
        self.promise = promise
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls, !self.done {
            self.done = true
            if Self.certifies(context: context, serverName: self.serverName) {
                context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
                self.promise.succeed(())
            } else {
                self.promise.fail(RouterTunnelError.wrongServerIdentity(self.serverName))
                context.close(promise: nil)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if !self.done {
            self.done = true
            self.promise.fail(RouterTunnelError.closedDuringHandshake)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !self.done {
            self.done = true
            self.promise.fail(RouterTunnelError.closedDuringHandshake)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if !self.done {
            self.done = true
            self.promise.fail(error)
        }
        context.close(promise: nil)
    }

    static func certifies(context: ChannelHandlerContext, serverName: String) -> Bool {
        guard let peer = try? context.pipeline.syncOperations.nioSSL_peerCertificate(),
              let certificate = try? Certificate(derEncoded: peer.toDERBytes()),
              let names = try? certificate.extensions.subjectAlternativeNames,
              let usages = try? certificate.extensions.extendedKeyUsage, usages.contains(.serverAuth)
        else { return false }
        let wanted = serverName.lowercased()
        return names.contains { name in
            if case .dnsName(let text) = name { return text.lowercased() == wanted }
            return false
        }
    }
}
