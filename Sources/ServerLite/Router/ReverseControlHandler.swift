import DNSWire
import Logging
import NIOCore
import NIOExtras

/// The router's end of a service agent's control connection: `SERVE <route>` lines are checked
/// (the route exists, is a reverse route and belongs to this CN), `FAIL <id>` ends a dial-back,
/// `PONG` keeps the connection alive. Anything else closes it.
final class ReverseControlHandler: ChannelInboundHandler {
    typealias InboundIn = String
    typealias OutboundOut = ByteBuffer

    private let commonName: String
    private let hub: ReverseTunnelHub
    private let snapshot: @Sendable () -> ServerStateSnapshot
    private let logger: Logger
    private var awaitingPong = false

    init(commonName: String, hub: ReverseTunnelHub, snapshot: @escaping @Sendable () -> ServerStateSnapshot, logger: Logger) {
        self.commonName = commonName
        self.hub = hub
        self.snapshot = snapshot
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let words = self.unwrapInboundIn(data).split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        switch (words.first, words.count) {
        case ("SERVE", 2):
            let name = words[1]
            guard let route = self.snapshot().routes.routes[name] else {
                self.reply("ERR \(name) no such route", context: context)
                return
            }
            guard route.serviceCommonName == self.commonName else {
                self.logger.notice("reverse tunnel refused: route belongs to another service endpoint", metadata: ["cn": "\(self.commonName)", "route": "\(name)"])
                self.reply("ERR \(name) not your route", context: context)
                return
            }
            guard route.dial == .reverse else {
                self.reply("ERR \(name) not a reverse route", context: context)
                return
            }
            self.hub.serve(route: name, commonName: self.commonName, channel: context.channel)
            self.logger.info("reverse tunnel up", metadata: ["cn": "\(self.commonName)", "route": "\(name)"])
            self.reply("OK \(name)", context: context)
        case ("FAIL", 2):
            self.hub.failed(id: words[1], commonName: self.commonName)
        case ("PONG", 1):
            self.awaitingPong = false
        default:
            self.logger.notice("reverse control: unexpected line, closing", metadata: ["cn": "\(self.commonName)"])
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent {
            switch idle {
            case .read where self.awaitingPong:
                self.logger.notice("reverse control: no answer to PING, closing", metadata: ["cn": "\(self.commonName)"])
                context.close(promise: nil)
            case .read:
                self.awaitingPong = true
                self.reply("PING", context: context)
            default:
                break
            }
            return
        }
        if let event = event as? ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.logger.info("reverse tunnel down", metadata: ["cn": "\(self.commonName)"])
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    private func reply(_ text: String, context: ChannelHandlerContext) {
        context.writeAndFlush(self.wrapOutboundOut(ReverseTunnelHub.line(text)), promise: nil)
    }
}
