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

    /// The route for `serverName` if `peer` may use it (nil: the passthrough listener, where only
    /// routes marked passthrough are served); otherwise the reason for the log. The peer is
    /// checked by CN and serial.
    func decide(serverName: String?, peer: AuthenticatedPeer?) -> Result<RouteDefinition, RouteRefusal> {
        let snapshot = self.snapshot()
        // The identity first: a certificate the registry no longer binds learns nothing about
        // which names are routed.
        if let peer, let refusal = snapshot.admission(of: peer) { return .failure(RouteRefusal(refusal)) }
        guard let serverName else { return .failure(.noServerName) }
        guard let name = try? DNSName(serverName) else { return .failure(.unknownName) }
        guard let route = snapshot.routes.route(for: name) else { return .failure(.unknownName) }
        if let peer {
            guard snapshot.mayConnect(peer.commonName, to: name) else { return .failure(.notAllowed) }
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
    func connect(_ route: RouteDefinition, serverName: String, peer: AuthenticatedPeer?, listener: String, context: ChannelHandlerContext) {
        let commonName = peer?.commonName
        self.connections.add(context.channel, peer: peer, serverName: serverName)
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
            case .failure(let error as BackendAddressRefusal):
                // The route aims the router at itself (or the name now resolves there).
                statistics.refused(BackendAddressRefusal.reason)
                logger.warning("\(listener): backend address refused", metadata: [
                    "cn": "\(commonName ?? "-")", "service": "\(route.name)", "backend": "\(backend)", "reason": "\(error)",
                ])
                context.close(promise: nil)
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
