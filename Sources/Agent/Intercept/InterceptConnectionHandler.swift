import Logging
import NIOCore
import TunnelRelay

/// One intercepted application connection: once active, dials the router (SNI = the service's
/// name) and joins the two; what the application sent meanwhile is held and goes first. When the
/// router cannot be reached the application's connection is closed. With an owner check, the
/// router is dialled only once the kernel says the connecting local user is allowed; otherwise
/// the connection is closed and nothing it sent goes anywhere.
final class InterceptConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let serverName: String
    private let dialer: RouterTunnelDialer
    private let statistics: InterceptStatistics
    private let logger: Logger
    private let ownerCheck: InterceptOwnerCheck?

    init(serverName: String, dialer: RouterTunnelDialer, statistics: InterceptStatistics, ownerCheck: InterceptOwnerCheck? = nil, logger: Logger) {
        self.ownerCheck = ownerCheck
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
        let dialer = self.dialer
        guard let ownerCheck = self.ownerCheck else {
            Self.join(channel, dialer: dialer, name: name, statistics: statistics, logger: logger)
            context.fireChannelActive()
            return
        }
        ownerCheck.decide(for: channel).whenSuccess { decision in
            switch decision {
            case .admitted:
                Self.join(channel, dialer: dialer, name: name, statistics: statistics, logger: logger)
            case .refused(let uid):
                statistics.ownerRefused()
                logger.warning("intercept: connection refused, local user not allowed", metadata: ["name": "\(name)", "uid": "\(uid)"])
                channel.close(promise: nil)
            case .unknown(let error):
                statistics.ownerUnknown()
                logger.warning("intercept: connection refused, its local user is unknown", metadata: ["name": "\(name)", "error": "\(error)"])
                channel.close(promise: nil)
            }
        }
        context.fireChannelActive()
    }

    /// Dials the router for `name` and splices it to `channel` (closing `channel` on failure).
    private static func join(_ channel: Channel, dialer: RouterTunnelDialer, name: String, statistics: InterceptStatistics, logger: Logger) {
        guard channel.isActive else { return }
        dialer.connect(serverName: name, on: channel.eventLoop).flatMap { router -> EventLoopFuture<Void> in
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
