import CertStore
import ConnectionAdmission
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
import Hummingbird
import HummingbirdTLS
import ServiceLifecycle
import Telemetry

/// The server: DoT with mutual TLS and CN ACLs over private zones, public names upstream,
/// optional plain listeners for tests, and the enrollment API (HTTPS). State lives in
/// ``ServerPaths`` and the registry; changes made by the CLI are picked up within the reload
/// interval, and revoking an endpoint closes its open connections and refuses new handshakes.
public final class ZTServer: Service, Sendable {
    public let configuration: ServerConfiguration
    public let resolver: ServerQueryResolver
    public let connections = ConnectionRegistry()
    private let paths: ServerPaths
    private let store: ServerStateStore
    public let registry: Registry
    private let tlsContext: NIOSSLContext
    private let verifier: ClientCertificateVerifier
    public let enrollment: EnrollmentService
    private let apiTLS: TLSConfiguration
    private let apiTask = NIOLockedValueBox<Task<Void, Error>?>(nil)
    /// Prometheus metrics (served when ``ServerConfiguration/metricsListen`` is set).
    public let metrics = ServerMetrics()
    private let metricsServer = NIOLockedValueBox<MetricsServer?>(nil)
    private let upstream: (any DNSUpstream)?
    private let group: EventLoopGroup
    private let logger: Logger
    private let channels = NIOLockedValueBox<[Channel]>([])
    private let reloadTask = NIOLockedValueBox<RepeatedTask?>(nil)
    private let lastStateVersion = NIOLockedValueBox<Int64>(0)
    private let lastEnforcement = NIOLockedValueBox<Date>(Date())
    private let registryFailing = NIOLockedValueBox<Bool>(false)
    private let confirmedSerials = NIOLockedValueBox<Set<String>>([])
    private let reloadInterval: TimeAmount
    /// The TLS router (tunnel and passthrough listeners).
    public let router: TLSRouter
    /// Caps and handshake deadlines of the DoT listener.
    let dotGate: ConnectionAdmissionGate
    /// Caps and header deadlines of the API listener.
    let apiGate: ConnectionAdmissionGate
    /// Every listener's gate, for metrics.
    var admissionGates: [ConnectionAdmissionGate] { [self.dotGate, self.apiGate, self.router.tunnelGate, self.router.passthroughGate] }

    /// Loads configuration, keys and state from `paths`.
    /// - Parameter adjust: changes to the stored configuration for this run (listen addresses in tests, flags).
    public init(paths: ServerPaths, group: EventLoopGroup, logger: Logger = Logger(label: "ztserver"), reloadInterval: TimeAmount = .milliseconds(250), adjust: (inout ServerConfiguration) -> Void = { _ in }) async throws {
        self.paths = paths
        self.store = ServerStateStore(paths: paths)
        var configuration = try self.store.loadConfiguration()
        adjust(&configuration)
        try configuration.validate()
        self.configuration = configuration
        self.group = group
        self.logger = logger
        self.reloadInterval = reloadInterval
        self.dotGate = .server(listener: "dot", limits: configuration.admissionLimits, logger: logger)
        self.apiGate = .server(listener: "api", limits: configuration.admissionLimits, logger: logger)

        try SecureDirectory.check(path: paths.directory)
        AtomicFile.removeStaleTemporaryFiles(in: paths.directory)
        let identity = try TLSIdentity.load(certificatePath: paths.serverCertificate, keyPath: paths.serverKey)
        let authority = try TrustAnchors.load(path: paths.caCertificate)
        let certificateAuthority = try CertificateAuthority.load(certificatePath: paths.caCertificate, keyPath: paths.caKey)
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try identity.nioCertificateChain().map { .certificate($0) },
            privateKey: .privateKey(try identity.nioPrivateKey())
        )
        tls.minimumTLSVersion = .tlsv13
        // A client certificate is required; ClientCertificateVerifier checks chain, EKU and registry.
        tls.certificateVerification = .noHostnameVerification
        tls.trustRoots = .certificates(try TrustAnchors.nioCertificates(authority))
        // Closing is the server's decision (revocation, idle, the other side of a tunnel gone):
        // don't wait long for the peer's close_notify.
        tls.shutdownTimeout = .milliseconds(250)
        self.tlsContext = try NIOSSLContext(configuration: tls)
        let apiIdentity = try TLSIdentity.load(certificatePath: paths.apiCertificate, keyPath: paths.apiKey)
        self.apiTLS = EnrollmentAPI.tlsConfiguration(
            identity: (try apiIdentity.nioCertificateChain(), try apiIdentity.nioPrivateKey()),
            trustRoots: try TrustAnchors.nioCertificates(authority)
        )

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
        self.registry = try Registry(path: paths.registry)
        let version = try self.registry.stateVersion()
        let snapshot = try self.store.snapshot(registry: self.registry, defaultTTL: configuration.privateTTL, routerAddress: configuration.routerAddress)
        let resolver = ServerQueryResolver(snapshot: snapshot, upstream: self.upstream, upstreamTimeout: timeout, logger: logger)
        self.resolver = resolver
        self.lastStateVersion.withLockedValue { $0 = version }
        self.verifier = ClientCertificateVerifier(authority: certificateAuthority.certificate) { resolver.snapshot }
        self.router = TLSRouter(tlsContext: self.tlsContext, snapshot: { resolver.snapshot },
                                configuration: configuration, group: group, logger: logger)
        let signers = try await ServerSigners.make(
            configKey: try SigningKeyFile.loadOrCreate(paths.configSigningKey),
            tokenKey: try SigningKeyFile.loadOrCreate(paths.tokenSigningKey)
        )
        self.enrollment = EnrollmentService(
            registry: self.registry, authority: certificateAuthority, signers: signers, configuration: configuration,
            snapshot: { resolver.snapshot }, statistics: resolver.statistics, logger: logger
        )
    }

    /// The server's counters.
    public var statistics: ServerStatistics { self.resolver.statistics }

    /// Binds the DoT listener (and plain ones when configured) and starts watching the state files.
    @discardableResult
    public func start() async throws -> ServerBoundAddresses {
        do {
            let dot = try await Self.binding("DoT", self.configuration.dotListen) { try await self.bindDoT(try HostPort.parse(self.configuration.dotListen, defaultPort: 853)) }
            var udp: [SocketAddress] = []
            var tcp: [SocketAddress] = []
            for text in self.configuration.plainListen {
                let address = try HostPort.parse(text, defaultPort: 53)
                let tcpAddress = try await Self.binding("plain DNS (TCP)", text) { try await self.bindPlainTCP(address) }
                var udpAddress = address
                udpAddress.port = tcpAddress.port
                udp.append(try await Self.binding("plain DNS (UDP)", text) { try await self.bindPlainUDP(udpAddress) })
                tcp.append(tcpAddress)
            }
            let tunnel = try await Self.binding("the router's tunnel", self.configuration.tunnelListen) {
                try await self.router.bindTunnel(try HostPort.parse(self.configuration.tunnelListen, defaultPort: 8443))
            }
            let passthrough = try await self.configuration.passthroughListen.asyncMap { text in
                try await Self.binding("the router's passthrough", text) { try await self.router.bindPassthrough(try HostPort.parse(text, defaultPort: 443)) }
            }
            self.enrollment.onRegistryChange { [weak self] in self?.reloadIfChanged() }
            let api = try await self.startAPI(try HostPort.parse(self.configuration.apiListen, defaultPort: 5001))
            self.enrollment.advertise(
                dot: self.configuration.dotAdvertise ?? HostPort.text(dot),
                api: self.configuration.apiAdvertise ?? HostPort.text(api),
                tunnel: self.configuration.tunnelAdvertise ?? HostPort.text(tunnel)
            )
            self.startReloading()
            var metricsAddress: SocketAddress?
            if let listen = self.configuration.metricsListen {
                let address = try HostPort.parse(listen, defaultPort: 9154)
                let server = MetricsServer(registry: self.metrics.registry, logger: self.logger) { [self] in self.metrics.collect(from: self) }
                metricsAddress = try await Self.binding("metrics", listen) {
                    try await server.start(host: address.ipAddress ?? "127.0.0.1", port: address.port ?? 9154, group: self.group)
                }
                self.metricsServer.withLockedValue { $0 = server }
            }
            self.logger.info("ztserver listening", metadata: [
                "metrics": "\(metricsAddress.map(HostPort.text) ?? "off")",
                "api": "\(HostPort.text(api))",
                "dot": "\(HostPort.text(dot))", "tunnel": "\(HostPort.text(tunnel))", "passthrough": "\(passthrough.map(HostPort.text) ?? "off")",
                "plain_udp": "\(udp.map(HostPort.text))", "plain_tcp": "\(tcp.map(HostPort.text))", "zones": "\(self.resolver.snapshot.zones.count)",
                "upstream": "\(self.configuration.upstreamMode.rawValue)",
            ])
            return ServerBoundAddresses(dot: dot, api: api, plainUDP: udp, plainTCP: tcp, metrics: metricsAddress, tunnel: tunnel, passthrough: passthrough)
        } catch {
            await self.stop()
            throw error
        }
    }

    /// Runs one bind, naming the listener and its address when it fails.
    private static func binding<T>(_ listener: String, _ address: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as HostPortError {
            throw error
        } catch {
            throw ServerStartError.bindFailed(listener: listener, address: address, cause: error)
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
        self.connections.closeAll { _ in true }
        await self.router.stop()
        await self.metricsServer.withLockedValue { $0 }?.stop()
        if let task = self.apiTask.withLockedValue({ task -> Task<Void, Error>? in defer { task = nil }; return task }) {
            task.cancel()
            _ = try? await task.value
        }
        (self.upstream as? DoTUpstreamPool)?.shutdown()
    }

    /// Serves until graceful shutdown.
    /// Prints `ztserver listening dot=IP:PORT [plain=IP:PORT …]` on standard output once bound.
    public func run() async throws {
        let bound = try await self.start()
        var line = "ztserver listening dot=\(HostPort.text(bound.dot)) api=\(HostPort.text(bound.api))"
        for address in bound.plainTCP { line += " plain=\(HostPort.text(address))" }
        if let tunnel = bound.tunnel { line += " tunnel=\(HostPort.text(tunnel))" }
        if let passthrough = bound.passthrough { line += " passthrough=\(HostPort.text(passthrough))" }
        if let metrics = bound.metrics { line += " metrics=\(HostPort.text(metrics))" }
        print(line)
        fflush(nil)
        try? await gracefulShutdown()
        await self.stop()
    }

    /// Re-reads zones and endpoints now. A state that does not compile is refused and the one in
    /// force stays. Connections whose identity the new state no longer admits are closed.
    @discardableResult
    public func reload() -> Bool {
        do {
            let snapshot = try self.store.snapshot(registry: self.registry, defaultTTL: self.configuration.privateTTL, routerAddress: self.configuration.routerAddress)
            self.resolver.replace(snapshot)
            let closed = self.enforce(snapshot, at: Date())
            self.logger.info("state reloaded", metadata: ["zones": "\(snapshot.zones.count)", "endpoints": "\(snapshot.endpoints.count)", "connections_closed": "\(closed)"])
            return true
        } catch {
            self.logger.error("state reload refused, keeping the state in force", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Closes the DoT connections and tunnels whose CN and serial `snapshot` no longer admits at `now`.
    private func enforce(_ snapshot: ServerStateSnapshot, at now: Date) -> Int {
        self.lastEnforcement.withLockedValue { $0 = now }
        return self.connections.closeAll { !snapshot.admits($0, at: now) } + self.router.enforce(snapshot, at: now)
    }

    /// Reloads when the registry's state version moved since the last look, and closes the
    /// connections of previous serials whose grace window ended since the last look. A registry
    /// that cannot be read is logged (once per outage) and counted; the state in force stays.
    public func reloadIfChanged() {
        let version: Int64
        do {
            version = try self.registry.stateVersion()
            if self.registryFailing.withLockedValue({ failing in defer { failing = false }; return failing }) {
                self.logger.notice("registry readable again")
            }
        } catch {
            self.statistics.registryReadFailures.wrappingAdd(1, ordering: .relaxed)
            if !self.registryFailing.withLockedValue({ failing in defer { failing = true }; return failing }) {
                self.logger.error("registry unreadable, serving the state in force", metadata: ["error": "\(error)"])
            }
            self.enforceGraceWindows()
            return
        }
        let changed = self.lastStateVersion.withLockedValue { last -> Bool in
            defer { last = version }
            return last != version
        }
        if changed {
            self.reload()
        } else {
            self.enforceGraceWindows()
        }
    }

    private func enforceGraceWindows() {
        let now = Date()
        let since = self.lastEnforcement.withLockedValue { $0 }
        let snapshot = self.resolver.snapshot
        guard snapshot.graceWindowsEnding(after: since, until: now) else { return }
        let closed = self.enforce(snapshot, at: now)
        if closed > 0 { self.logger.info("previous certificates' grace ended", metadata: ["connections_closed": "\(closed)"]) }
    }

    /// Records, once per serial, that an endpoint's current serial was used on DoT (off the
    /// event loop; a registry that cannot be written costs only the relaxation it allows).
    private var confirmFirstUse: @Sendable (AuthenticatedPeer) -> Void {
        let resolver = self.resolver
        let registry = self.registry
        let confirmed = self.confirmedSerials
        return { peer in
            guard let endpoint = resolver.snapshot.endpoints[peer.commonName], endpoint.certificateSerial == peer.serial,
                  endpoint.certificateConfirmedAt == nil,
                  confirmed.withLockedValue({ $0.insert(peer.serial).inserted })
            else { return }
            try? registry.confirmCurrentSerial(peer.commonName, serial: peer.serial)
        }
    }

    private func startReloading() {
        let task = self.group.next().scheduleRepeatedTask(initialDelay: self.reloadInterval, delay: self.reloadInterval) { _ in
            self.reloadIfChanged()
        }
        self.reloadTask.withLockedValue { $0 = task }
    }

    private func startAPI(_ address: SocketAddress) async throws -> SocketAddress {
        guard let host = address.ipAddress, let port = address.port else { throw HostPortError.invalid("\(address)") }
        let (stream, continuation) = AsyncStream.makeStream(of: SocketAddress?.self)
        let apiGate = self.apiGate
        let handshakeTimeout = self.configuration.handshakeTimeout
        let application = Application(
            router: EnrollmentAPI.router(service: self.enrollment, logger: self.logger),
            // From accept to complete request headers within the handshake timeout (the gate's
            // handler sits after the HTTP decoder); idle keep-alive connections close too.
            server: try .tls(.http1(configuration: .init(
                additionalChannelHandlers: [HandshakeDeadlineHandler(gate: apiGate, timeout: handshakeTimeout, completion: .firstRead)],
                idleTimeout: .seconds(Int64(self.configuration.apiIdleTimeoutSeconds))
            )), tlsConfiguration: self.apiTLS),
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress)
                continuation.finish()
            },
            eventLoopGroupProvider: .shared(self.group),
            logger: self.logger
        )
        let task = Task {
            defer { continuation.finish() }
            try await application.run()
        }
        self.apiTask.withLockedValue { $0 = task }
        for await bound in stream {
            if let bound { return bound }
        }
        // The API ended before it listened: its error says why.
        do {
            try await task.value
            throw ServerStartError.apiFailed(address: HostPort.text(address), reason: "the server stopped before it listened")
        } catch let error as ServerStartError {
            throw error
        } catch {
            throw ServerStartError.apiFailed(address: HostPort.text(address), reason: ServerStartError.reason(error))
        }
    }

    private func bindDoT(_ address: SocketAddress) async throws -> SocketAddress {
        let context = self.tlsContext
        let resolver = self.resolver
        let connections = self.connections
        let logger = self.logger
        let verifier = self.verifier
        let confirm = self.confirmFirstUse
        let idle = TimeAmount.seconds(Int64(max(1, self.configuration.idleTimeoutSeconds)))
        let maximum = self.configuration.maximumConnections
        let statistics = self.statistics
        let gate = self.dotGate
        let handshakeTimeout = self.configuration.handshakeTimeout
        let maximumInFlight = self.configuration.maximumQueriesPerConnection
        let channel = try await ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                statistics.tlsConnectionsAccepted.wrappingAdd(1, ordering: .relaxed)
                if connections.count >= maximum {
                    logger.warning("connection cap reached, closing new connection")
                    return channel.close()
                }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        NIOSSLServerHandler(context: context, customVerificationCallback: verifier.callback(onAccepted: confirm) { reason, commonName in
                            statistics.refusedHandshake(reason)
                            logger.notice("refused connection: \(reason.explanation)", metadata: ["cn": "\(commonName ?? "-")", "peer": "\(channel.remoteAddress.map { "\($0)" } ?? "-")"])
                        }),
                        // Accept to end of handshake within the timeout; caps per address
                        // while in handshake, per CN after.
                        HandshakeDeadlineHandler(gate: gate, timeout: handshakeTimeout, completion: .tlsHandshake) { context in
                            PeerCertificate.commonName(context)
                        },
                        ByteToMessageHandler(LengthFieldBasedFrameDecoder(lengthFieldBitLength: .twoBytes)),
                        LengthFieldPrepender(lengthFieldBitLength: .twoBytes),
                        DoTConnectionHandler(resolver: resolver, registry: connections, logger: logger, maximumInFlight: maximumInFlight, idleTimeout: idle),
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

extension Optional {
    /// `map` with an async throwing transform.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
