import Logging
import NIOCore
import TunnelRelay

/// One intercepted application connection: once active, dials the router (SNI = the service's
/// name) and joins the two; what the application sent meanwhile is held and goes first. When the
/// router cannot be reached the application's connection is closed.
final class InterceptConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let serverName: String
    private let dialer: RouterTunnelDialer
    private let statistics: InterceptStatistics
    private let logger: Logger

    init(serverName: String, dialer: RouterTunnelDialer, statistics: InterceptStatistics, logger: Logger) {
        self.serverName = serverName
        self.dialer = dialer
        self.statistics = statistics
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        let statistics = self.statistics
        let logger = self.logger
        let name = self.serverName
        logger.debug("intercepted connection", metadata: ["name": "\(name)", "peer": "\(channel.remoteAddress.map { "\($0)" } ?? "-")"])
        self.dialer.connect(serverName: name, on: channel.eventLoop).flatMap { router -> EventLoopFuture<Void> in
            guard channel.isActive else {
                router.close(promise: nil)
                return channel.eventLoop.makeSucceededVoidFuture()
            }
            let session = SpliceSession { summary in
                statistics.finished(sent: summary.bytesFromClient, received: summary.bytesFromBackend)
            }
            return PendingSpliceHandler.join(channel, router, session: session).flatMapError { error in
                router.close(promise: nil)
                return channel.eventLoop.makeFailedFuture(error)
            }
        }.whenComplete { result in
            guard case .failure(let error) = result else {
                logger.debug("intercepted connection joined", metadata: ["name": "\(name)"])
                return
            }
            statistics.routerFailed()
            logger.warning("intercept: cannot reach the router for \(name)", metadata: ["error": "\(error)"])
            channel.close(promise: nil)
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.logger.debug("intercepted connection closed", metadata: ["name": "\(self.serverName)"])
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // PendingSpliceHandler holds reads until the join; nothing should get here.
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        self.logger.debug("intercepted connection failed", metadata: ["name": "\(self.serverName)", "error": "\(error)"])
        context.close(promise: nil)
    }
}
