import ConnectionAdmission
import DNSTransport
import DNSWire
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOExtras
import NIOPosix
import NIOSSL
import TunnelRelay
import ZTProtocol

/// The TLS router: the tunnel listener (mutual TLS from agents; SNI names the service; the CN
/// must be allowed for the service's zone) and the passthrough listener (the application's own
/// TLS, routed by its SNI without being terminated). Both splice the client to the route's
/// backend with backpressure, half-close, an idle timeout and a cap on open connections, and
/// write one audit line per connection.
public final class TLSRouter: Sendable {
    /// Open routed connections (tunnel, passthrough, reverse control), by who and where.
    public let connections = RoutedConnections()
    /// Counters for metrics.
    public let statistics = RouterStatistics()
    let hub: ReverseTunnelHub
    private let admission: RouteAdmission
    private let tlsContext: NIOSSLContext
    private let group: EventLoopGroup
    private let logger: Logger
    private let idleTimeout: TimeAmount
    private let maximumConnections: Int
    private let channels = NIOLockedValueBox<[Channel]>([])
    /// Caps and handshake deadlines of the tunnel listener (per CN after the handshake).
    let tunnelGate: ConnectionAdmissionGate
    /// Caps and ClientHello deadlines of the passthrough listener.
    let passthroughGate: ConnectionAdmissionGate
    private let handshakeTimeout: TimeAmount

    init(tlsContext: NIOSSLContext, snapshot: @escaping @Sendable () -> ServerStateSnapshot,
         configuration: ServerConfiguration, group: EventLoopGroup, logger: Logger) {
        self.tlsContext = tlsContext
        self.group = group
        self.logger = logger
        self.idleTimeout = .seconds(Int64(configuration.tunnelIdleTimeoutSeconds))
        self.maximumConnections = configuration.maximumTunnels
        self.tunnelGate = .server(listener: "tunnel", limits: configuration.tunnelAdmissionLimits, logger: logger)
        self.passthroughGate = .server(listener: "passthrough", limits: configuration.tunnelAdmissionLimits, logger: logger)
        self.handshakeTimeout = configuration.handshakeTimeout
        self.hub = ReverseTunnelHub(logger: logger)
        self.admission = RouteAdmission(
            snapshot: snapshot,
            dialer: BackendDialer(hub: self.hub, connectTimeout: .nanoseconds(Int64(configuration.backendConnectTimeoutSeconds * 1e9)),
                                  policy: BackendNetworkPolicy(configuration)),
            statistics: self.statistics, connections: self.connections, logger: logger
        )
    }

    /// Route names whose service agent holds a reverse tunnel now.
    public var reverseRoutesServed: [String] { self.hub.servedRoutes }

    /// Closes the connections the new state no longer allows: revoked CNs, serials no longer
    /// bound (replaced, or a renewal's grace window over), endpoints taken off a zone, removed
    /// routes, reverse tunnels of revoked services.
    @discardableResult
    func enforce(_ snapshot: ServerStateSnapshot, at now: Date = Date()) -> Int {
        self.connections.closeAll { entry in
            guard let peer = entry.peer else {
                // Passthrough: only the route matters.
                guard let route = snapshot.routes.route(for: entry.serverName) else { return true }
                return !route.passthrough || !snapshot.isActive(route.serviceCommonName)
            }
            let commonName = peer.commonName
            guard snapshot.admits(peer, at: now) else { return true }
            if entry.serverName == ReverseTunnelProtocol.controlServerName || entry.serverName == ReverseTunnelProtocol.dataServerName { return false }
            return !(snapshot.routes.route(for: entry.serverName).map { route in
                snapshot.isActive(route.serviceCommonName) && ((try? DNSName(entry.serverName)).map { snapshot.mayConnect(commonName, to: $0) } ?? false)
            } ?? false)
        }
    }

    func bindTunnel(_ address: SocketAddress) async throws -> SocketAddress {
        let context = self.tlsContext
        let admission = self.admission
        let hub = self.hub
        let idle = self.idleTimeout
        let logger = self.logger
        let statistics = self.statistics
        let gate = self.tunnelGate
        let handshakeTimeout = self.handshakeTimeout
        return try await self.bind(address, listener: "tunnel") { channel in
            try channel.pipeline.syncOperations.addHandlers([
                ClientHelloSniffer { refusal in
                    statistics.refused(RouteRefusal.badHello.rawValue)
                    logger.debug("tunnel connection closed before routing: \(refusal)")
                },
                // The chain is verified by BoringSSL inside the handshake (synchronously: an
                // asynchronous verifier lets a client's early half-close abort its own
                // handshake); EKU and registry status are checked right after, before a byte
                // is routed.
                NIOSSLServerHandler(context: context),
                // Accept to end of handshake within the timeout; caps per address while in
                // handshake, per CN after.
                HandshakeDeadlineHandler(gate: gate, timeout: handshakeTimeout, completion: .tlsHandshake) { context in
                    PeerCertificate.commonName(context)
                },
                IdleStateHandler(allTimeout: idle),
                PendingSpliceHandler(),
                TunnelAdmissionHandler(admission: admission, hub: hub),
            ])
        }
    }

    func bindPassthrough(_ address: SocketAddress) async throws -> SocketAddress {
        let admission = self.admission
        let idle = self.idleTimeout
        let logger = self.logger
        let statistics = self.statistics
        let gate = self.passthroughGate
        let handshakeTimeout = self.handshakeTimeout
        return try await self.bind(address, listener: "passthrough") { channel in
            try channel.pipeline.syncOperations.addHandlers([
                ClientHelloSniffer { refusal in
                    statistics.refused(RouteRefusal.badHello.rawValue)
                    logger.notice("passthrough connection refused: \(refusal)", metadata: ["peer": "\(channel.remoteAddress.map { "\($0)" } ?? "-")"])
                },
                // Accept to a complete ClientHello within the timeout, caps per address until then.
                HandshakeDeadlineHandler(gate: gate, timeout: handshakeTimeout, completion: .userEvent { $0 is ClientHelloSeen }),
                IdleStateHandler(allTimeout: idle),
                PendingSpliceHandler(),
                PassthroughAdmissionHandler(admission: admission),
            ])
        }
    }

    private func bind(_ address: SocketAddress, listener: String, pipeline: @escaping @Sendable (Channel) throws -> Void) async throws -> SocketAddress {
        let statistics = self.statistics
        let maximum = self.maximumConnections
        let logger = self.logger
        let channel = try await ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 64 * 1024, high: 256 * 1024))
            .childChannelInitializer { channel in
                if statistics.openConnections >= maximum {
                    statistics.refused(RouteRefusal.overCapacity.rawValue)
                    logger.warning("\(listener): connection cap reached, closing new connection")
                    return channel.close()
                }
                statistics.opened(listener: listener)
                channel.closeFuture.whenComplete { _ in statistics.closed(listener: listener) }
                return channel.eventLoop.makeCompletedFuture { try pipeline(channel) }
            }
            .bind(to: address)
            .get()
        self.channels.withLockedValue { $0.append(channel) }
        guard let local = channel.localAddress else { throw HostPortError.invalid("\(address)") }
        return local
    }

    /// Closes the listeners and every routed connection.
    func stop() async {
        let listeners = self.channels.withLockedValue { channels -> [Channel] in
            defer { channels.removeAll() }
            return channels
        }
        for channel in listeners { try? await channel.close() }
        self.connections.closeAll { _ in true }
    }
}
