import DNSWire
import Logging
import NIOCore
import TunnelRelay
import ZTProtocol

/// What the router decides for one connection, shared by the tunnel and passthrough handlers.
struct RouteAdmission: Sendable {
    let snapshot: @Sendable () -> ServerStateSnapshot
    let dialer: BackendDialer
    let statistics: RouterStatistics
    let connections: RoutedConnections
    let logger: Logger

    /// The route for `serverName` if `commonName` may use it (nil CN: the passthrough listener,
    /// where only routes marked passthrough are served); otherwise the reason for the log.
    func decide(serverName: String?, commonName: String?) -> Result<RouteDefinition, RouteRefusal> {
        guard let serverName else { return .failure(.noServerName) }
        guard let name = try? DNSName(serverName) else { return .failure(.unknownName) }
        let snapshot = self.snapshot()
        guard let route = snapshot.routes.route(for: name) else { return .failure(.unknownName) }
        if let commonName {
            guard snapshot.isActive(commonName) else { return .failure(.endpointInactive) }
            guard snapshot.mayConnect(commonName, to: name) else { return .failure(.notAllowed) }
        } else {
            guard route.passthrough else { return .failure(.notPassthrough) }
        }
        guard snapshot.isActive(route.serviceCommonName) else { return .failure(.serviceInactive) }
        return .success(route)
    }

    /// Logs and counts a refusal, then closes without a word to the client.
    func refuse(_ reason: RouteRefusal, context: ChannelHandlerContext, listener: String, commonName: String?, serverName: String?) {
        self.statistics.refused(reason.rawValue)
        self.logger.notice("\(listener) connection refused: \(reason.rawValue)", metadata: [
            "cn": "\(commonName ?? "-")", "name": "\(serverName ?? "-")",
            "peer": "\(context.channel.remoteAddress.map { "\($0)" } ?? "-")",
        ])
        context.close(promise: nil)
    }

    /// Dials the route's backend and splices it to the client once connected; the bytes the
    /// client sent meanwhile go first. One audit line when both sides are closed.
    func connect(_ route: RouteDefinition, serverName: String, commonName: String?, listener: String, context: ChannelHandlerContext) {
        self.connections.add(context.channel, commonName: commonName, serverName: serverName)
        self.statistics.routed(service: route.name)
        let backend = BackendDialer.describe(route, serverName: serverName)
        let statistics = self.statistics
        let logger = self.logger
        let session = SpliceSession { summary in
            statistics.finished(service: route.name, fromClient: summary.bytesFromClient, fromBackend: summary.bytesFromBackend)
            logger.info("\(listener) closed", metadata: [
                "cn": "\(commonName ?? "-")", "service": "\(route.name)", "name": "\(serverName)", "backend": "\(backend)",
                "bytes_from_client": "\(summary.bytesFromClient)", "bytes_from_backend": "\(summary.bytesFromBackend)",
                "duration_s": "\(String(format: "%.3f", summary.durationSeconds))",
            ])
        }
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        self.dialer.dial(route, serverName: serverName, on: context.eventLoop).hop(to: context.eventLoop).whenComplete { result in
            let context = loopBound.value
            switch result {
            case .success(let backendChannel):
                guard context.channel.isActive,
                      let pending = try? context.pipeline.syncOperations.context(handlerType: PendingSpliceHandler.self),
                      let handler = pending.handler as? PendingSpliceHandler
                else {
                    backendChannel.close(promise: nil)
                    return
                }
                if route.dial == .reverse {
                    // The agent's data connection holds its early bytes the same way.
                    PendingSpliceHandler.join(context.channel, backendChannel, session: session).whenFailure { _ in
                        backendChannel.close(promise: nil)
                        context.close(promise: nil)
                    }
                    return
                }
                do {
                    try handler.handOver(context: pending, to: backendChannel, session: session)
                } catch {
                    backendChannel.close(promise: nil)
                    context.close(promise: nil)
                }
            case .failure(let error):
                statistics.backendFailed(service: route.name)
                // The client learns nothing: the reason stays in the server's log.
                logger.warning("\(listener): backend unreachable", metadata: [
                    "cn": "\(commonName ?? "-")", "service": "\(route.name)", "backend": "\(backend)", "error": "\(error)",
                ])
                context.close(promise: nil)
            }
        }
    }
}
