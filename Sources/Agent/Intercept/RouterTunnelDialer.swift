import DNSTransport
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import TunnelRelay
import X509

/// Opens mutual-TLS connections to the server's tunnel listener, presenting this host's
/// identity, with SNI = the service's name. The router's certificate must chain to the pinned
/// CA and name the server (checked here, because SNI carries the service name instead). The
/// returned channel has a ``PendingSpliceHandler`` holding anything the router sends before the
/// splice.
public final class RouterTunnelDialer: Sendable {
    private struct State {
        var context: NIOSSLContext
        var router: SocketAddress
        var serverName: String
    }

    private let state: NIOLockedValueBox<State>
    private let connectTimeout: TimeAmount

    public init(tls: TLSClientSettings, router: SocketAddress, serverName: String, connectTimeout: TimeAmount = .seconds(5)) throws {
        self.state = NIOLockedValueBox(State(context: try Self.context(tls), router: router, serverName: serverName))
        self.connectTimeout = connectTimeout
    }

    /// A renewed identity: later connections present it.
    public func update(tls: TLSClientSettings) throws {
        let context = try Self.context(tls)
        self.state.withLockedValue { $0.context = context }
    }

    /// A new router address or server name from a new config.
    public func update(router: SocketAddress, serverName: String) {
        self.state.withLockedValue {
            $0.router = router
            $0.serverName = serverName
        }
    }

    /// The router's address now.
    public var router: SocketAddress { self.state.withLockedValue { $0.router } }

    /// Connects and completes once TLS is up and the router's name checked.
    public func connect(serverName sni: String, on loop: EventLoop) -> EventLoopFuture<Channel> {
        let state = self.state.withLockedValue { $0 }
        let verified = loop.makePromise(of: Void.self)
        let connected = ClientBootstrap(group: loop)
            .connectTimeout(self.connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelOption(.writeBufferWaterMark, value: .init(low: 64 * 1024, high: 256 * 1024))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        try NIOSSLClientHandler(context: state.context, serverHostname: sni),
                        RouterIdentityCheck(serverName: state.serverName, promise: verified),
                        PendingSpliceHandler(),
                    ])
                }
            }
            .connect(to: state.router)
        connected.whenFailure { verified.fail($0) }
        return connected.and(verified.futureResult).map { channel, _ in channel }.flatMapErrorThrowing { error in
            connected.whenSuccess { $0.close(promise: nil) }
            throw error
        }
    }

    /// Chain to the pinned CA is checked by TLS; the router's name by ``RouterIdentityCheck``.
    static func context(_ tls: TLSClientSettings) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = tls.minimumTLSVersion
        configuration.certificateVerification = .noHostnameVerification
        configuration.trustRoots = .certificates(tls.trustRoots)
        configuration.shutdownTimeout = .milliseconds(250)
        if let key = tls.privateKey, !tls.certificateChain.isEmpty {
            configuration.certificateChain = tls.certificateChain.map { .certificate($0) }
            configuration.privateKey = .privateKey(key)
        }
        return try NIOSSLContext(configuration: configuration)
    }
}
