import CertStore
import DNSTransport
import DNSWire
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOExtras
import NIOPosix
import NIOSSL
import ServiceLifecycle

/// The server: DoT with mutual TLS and CN ACLs over private zones, public names upstream,
/// optional plain listeners for tests. State lives in ``ServerPaths``; edits to zones.json and
/// endpoints.json are picked up within a second, and revoking an endpoint closes its open
/// connections.
public final class ZTServer: Service, Sendable {
    public let configuration: ServerConfiguration
    public let resolver: ServerQueryResolver
    public let registry = ConnectionRegistry()
    private let paths: ServerPaths
    private let store: ServerStateStore
    private let tlsContext: NIOSSLContext
    private let upstream: (any DNSUpstream)?
    private let group: EventLoopGroup
    private let logger: Logger
    private let channels = NIOLockedValueBox<[Channel]>([])
    private let reloadTask = NIOLockedValueBox<RepeatedTask?>(nil)
    private let lastFingerprint = NIOLockedValueBox<[Date?]>([])
    private let reloadInterval: TimeAmount

    /// Loads configuration, keys and state from `paths`.
    /// - Parameter adjust: changes to the stored configuration for this run (listen addresses in tests, flags).
    public init(paths: ServerPaths, group: EventLoopGroup, logger: Logger = Logger(label: "ztserver"), reloadInterval: TimeAmount = .seconds(1), adjust: (inout ServerConfiguration) -> Void = { _ in }) throws {
        self.paths = paths
        self.store = ServerStateStore(paths: paths)
        var configuration = try self.store.loadConfiguration()
        adjust(&configuration)
        self.configuration = configuration
        self.group = group
        self.logger = logger
        self.reloadInterval = reloadInterval

        try SecureDirectory.check(path: paths.directory)
        let identity = try TLSIdentity.load(certificatePath: paths.serverCertificate, keyPath: paths.serverKey)
        let authority = try TrustAnchors.load(path: paths.caCertificate)
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try identity.nioCertificateChain().map { .certificate($0) },
            privateKey: .privateKey(try identity.nioPrivateKey())
        )
        tls.minimumTLSVersion = .tlsv13
        tls.certificateVerification = .noHostnameVerification  // a client certificate is required and must chain to the CA
        tls.trustRoots = .certificates(try TrustAnchors.nioCertificates(authority))
        self.tlsContext = try NIOSSLContext(configuration: tls)

        let timeout = TimeAmount.nanoseconds(Int64(configuration.upstreamTimeoutSeconds * 1_000_000_000))
        switch configuration.upstreamMode {
        case .refuse:
            self.upstream = nil
        case .dns:
            self.upstream = PlainDNSUpstream(servers: try configuration.upstreamServers.map { try HostPort.parse($0, defaultPort: 53) }, group: group)
        case .dot:
            let servers = try configuration.upstreamServers.map { text -> DoTServerEndpoint in
                let address = try HostPort.parse(text, defaultPort: 853)
                return DoTServerEndpoint(address: address, serverName: configuration.upstreamServerName ?? address.ipAddress ?? "")
            }
            let trust = try configuration.upstreamCAFile.map { try TrustAnchors.nioCertificates(try TrustAnchors.load(path: $0)) } ?? []
            self.upstream = try DoTUpstreamPool(
                configuration: .init(servers: servers),
                tls: TLSClientSettings(trustRoots: trust, minimumTLSVersion: .tlsv12),
                group: group, logger: logger
            )
        }
        let snapshot = try self.store.snapshot(defaultTTL: configuration.privateTTL)
        self.resolver = ServerQueryResolver(snapshot: snapshot, upstream: self.upstream, upstreamTimeout: timeout, logger: logger)
        let fingerprint = self.store.fingerprint()
        self.lastFingerprint.withLockedValue { $0 = fingerprint }
    }

    /// The server's counters.
    public var statistics: ServerStatistics { self.resolver.statistics }

    /// Binds the DoT listener (and plain ones when configured) and starts watching the state files.
    @discardableResult
    public func start() async throws -> ServerBoundAddresses {
        do {
            let dot = try await self.bindDoT(try HostPort.parse(self.configuration.dotListen, defaultPort: 853))
            var udp: [SocketAddress] = []
            var tcp: [SocketAddress] = []
            for text in self.configuration.plainListen {
                let address = try HostPort.parse(text, defaultPort: 53)
                let tcpAddress = try await self.bindPlainTCP(address)
                var udpAddress = address
                udpAddress.port = tcpAddress.port
                udp.append(try await self.bindPlainUDP(udpAddress))
                tcp.append(tcpAddress)
            }
            self.startReloading()
            self.logger.info("ztserver listening", metadata: [
                "dot": "\(dot)", "plain_udp": "\(udp)", "plain_tcp": "\(tcp)", "zones": "\(self.resolver.snapshot.zones.count)",
                "upstream": "\(self.configuration.upstreamMode.rawValue)",
            ])
            return ServerBoundAddresses(dot: dot, plainUDP: udp, plainTCP: tcp)
        } catch {
            await self.stop()
            throw error
        }
    }

    /// Closes listeners and connections.
    public func stop() async {
        self.reloadTask.withLockedValue { $0?.cancel(); $0 = nil }
        let channels = self.channels.withLockedValue { channels -> [Channel] in
            defer { channels.removeAll() }
            return channels
        }
        for channel in channels { try? await channel.close() }
        self.registry.closeAll { _ in true }
        (self.upstream as? DoTUpstreamPool)?.shutdown()
    }

    /// Serves until graceful shutdown.
    /// Prints `ztserver listening dot=IP:PORT [plain=IP:PORT …]` on standard output once bound.
    public func run() async throws {
        let bound = try await self.start()
        var line = "ztserver listening dot=\(bound.dot.ipAddress ?? "?"):\(bound.dot.port ?? 0)"
        for address in bound.plainTCP { line += " plain=\(address.ipAddress ?? "?"):\(address.port ?? 0)" }
        print(line)
        fflush(nil)
        try? await gracefulShutdown()
        await self.stop()
    }

    /// Re-reads zones and endpoints now. A state that does not compile is refused and the one in
    /// force stays. Connections of endpoints no longer active are closed.
    @discardableResult
    public func reload() -> Bool {
        do {
            let snapshot = try self.store.snapshot(defaultTTL: self.configuration.privateTTL)
            self.resolver.replace(snapshot)
            let closed = self.registry.closeAll { !snapshot.isActive($0) }
            self.logger.info("state reloaded", metadata: ["zones": "\(snapshot.zones.count)", "endpoints": "\(snapshot.endpoints.count)", "connections_closed": "\(closed)"])
            return true
        } catch {
            self.logger.error("state reload refused, keeping the state in force", metadata: ["error": "\(error)"])
            return false
        }
    }

    private func startReloading() {
        let task = self.group.next().scheduleRepeatedTask(initialDelay: self.reloadInterval, delay: self.reloadInterval) { _ in
            let fingerprint = self.store.fingerprint()
            let changed = self.lastFingerprint.withLockedValue { last -> Bool in
                defer { last = fingerprint }
                return last != fingerprint
            }
            if changed { self.reload() }
        }
        self.reloadTask.withLockedValue { $0 = task }
    }

    private func bindDoT(_ address: SocketAddress) async throws -> SocketAddress {
        let context = self.tlsContext
        let resolver = self.resolver
        let registry = self.registry
        let logger = self.logger
        let idle = TimeAmount.seconds(Int64(max(1, self.configuration.idleTimeoutSeconds)))
        let maximum = self.configuration.maximumConnections
        let statistics = self.statistics
        let channel = try await ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                statistics.tlsConnectionsAccepted.wrappingAdd(1, ordering: .relaxed)
                if registry.count >= maximum {
                    logger.warning("connection cap reached, closing new connection")
                    return channel.close()
                }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        NIOSSLServerHandler(context: context),
                        IdleStateHandler(readTimeout: idle),
                        ByteToMessageHandler(LengthFieldBasedFrameDecoder(lengthFieldBitLength: .twoBytes)),
                        LengthFieldPrepender(lengthFieldBitLength: .twoBytes),
                        DoTConnectionHandler(resolver: resolver, registry: registry, logger: logger),
                    ])
                }
            }
            .bind(to: address)
            .get()
        self.channels.withLockedValue { $0.append(channel) }
        guard let local = channel.localAddress else { throw HostPortError.invalid("\(address)") }
        return local
    }

    private func bindPlainTCP(_ address: SocketAddress) async throws -> SocketAddress {
        let resolver = self.resolver
        let channel = try await ServerBootstrap(group: self.group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(LengthFieldBasedFrameDecoder(lengthFieldBitLength: .twoBytes)),
                        LengthFieldPrepender(lengthFieldBitLength: .twoBytes),
                        PlainTCPHandler(resolver: resolver),
                    ])
                }
            }
            .bind(to: address)
            .get()
        self.channels.withLockedValue { $0.append(channel) }
        guard let local = channel.localAddress else { throw HostPortError.invalid("\(address)") }
        return local
    }

    private func bindPlainUDP(_ address: SocketAddress) async throws -> SocketAddress {
        let resolver = self.resolver
        let channel = try await DatagramBootstrap(group: self.group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(PlainUDPHandler(resolver: resolver))
                }
            }
            .bind(to: address)
            .get()
        self.channels.withLockedValue { $0.append(channel) }
        guard let local = channel.localAddress else { throw HostPortError.invalid("\(address)") }
        return local
    }
}
