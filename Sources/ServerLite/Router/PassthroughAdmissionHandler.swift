import Logging
import NIOCore
import NIOExtras
import TunnelRelay

/// The passthrough listener's decision: route by the SNI of the application's own ClientHello
/// (TLS is not terminated; the backend keeps its keys), only for routes marked passthrough.
final class PassthroughAdmissionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let admission: RouteAdmission
    private var decided = false

    init(admission: RouteAdmission) {
        self.admission = admission
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let seen as ClientHelloSeen:
            guard !self.decided else { return }
            self.decided = true
            let serverName = seen.info.serverName
            switch self.admission.decide(serverName: serverName, peer: nil) {
            case .failure(let reason):
                self.admission.refuse(reason, context: context, listener: "passthrough", commonName: nil, serverName: serverName)
            case .success(let route):
                self.admission.connect(route, serverName: serverName ?? "", peer: nil, listener: "passthrough", context: context)
            }
        case is IdleStateHandler.IdleStateEvent:
            context.close(promise: nil)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
