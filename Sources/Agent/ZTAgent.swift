import CertStore
import DNSTransport
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import ServiceLifecycle
import StubResolver
import Telemetry
import ZTProtocol

/// The agent: the loopback stub, its cache and the mTLS DoT pool, wired from one configuration.
///
/// Two modes: enrolled (``AgentConfiguration/state``: identity, pinned CA and signed config from
/// `ztagent enroll`, kept current by ``AgentIdentityManager``) and static (an offline-issued
/// identity and a fixed server list).
public final class ZTAgent: Service, Sendable {
    public let configuration: AgentConfiguration
    public let cache: DNSCache
    public let processor: StubQueryProcessor
    public let stub: StubServer
    /// Enrolled mode only.
    public let identityManager: AgentIdentityManager?
    private let poolBox: NIOLockedValueBox<DoTUpstreamPool>
    private let group: EventLoopGroup
    private let logger: Logger
    private let identityName: String?
    private let caPath: String
    private let minimumTLSVersion: String
    /// Prometheus metrics (served when ``AgentConfiguration/metricsListen`` is set).
    public let metrics = AgentMetrics()
    private let networkChanges = NIOLockedValueBox<(count: Int, last: Date?)>((0, nil))
    private let metricsServer = NIOLockedValueBox<MetricsServer?>(nil)
    private let controlServer = NIOLockedValueBox<ControlSocketServer?>(nil)
    private let bound = NIOLockedValueBox<[String]>([])
    /// Loopback addresses of intercepted names (enrolled mode).
    public let interceptBook: InterceptAddressBook
    /// Connections to the router's tunnel listener (enrolled mode with a tunnel in the config).
    public let routerDialer: RouterTunnelDialer?
    /// Listeners for granted private services.
    public let intercept: InterceptListeners?
    /// Service mode: the reverse tunnel (serves nothing until a reverse service is stored).
    public let reverseTunnel: ReverseTunnelClient?
    /// The one consumer of identity and config updates (enrolled mode): applied in order.
    private let updates: OrderedUpdateConsumer<AgentUpdate>?

    /// Loads the identity (refusing a key readable by others) and trust anchors, and builds the
    /// stub and upstream pool. Nothing listens until ``start()`` or ``run()``.
    public init(configuration: AgentConfiguration, group: EventLoopGroup, logger: Logger = Logger(label: "ztagent")) async throws {
        try configuration.validate()
        self.configuration = configuration
        self.group = group
        self.logger = logger
        self.minimumTLSVersion = configuration.minimumTLSVersion

        let identity: TLSIdentity
        let servers: [DoTServerEndpoint]
        var loaded: AgentIdentityManager.Loaded?
        if let state = configuration.state {
            let paths = AgentStatePaths(directory: state)
            let stateLoaded = try await AgentIdentityManager.load(paths)
            identity = stateLoaded.identity
            servers = try Self.endpoints(stateLoaded.config.servers)
            self.caPath = paths.ca
            loaded = stateLoaded
        } else {
            guard let files = configuration.identity, let ca = configuration.ca else {
                throw AgentError.configuration("no identity configured")
            }
            identity = try TLSIdentity.load(certificatePath: files.certificate, keyPath: files.key)
            servers = try Self.endpoints(configuration.servers)
            self.caPath = ca
        }
        self.identityName = identity.commonName
        let tls = try Self.tlsSettings(identity: identity, caPath: self.caPath, minimumVersion: configuration.minimumTLSVersion)
        let pool = try DoTUpstreamPool(
            configuration: .init(servers: servers, connectionsPerServer: configuration.connectionsPerServer),
            tls: tls, group: group, logger: logger
        )
        self.poolBox = NIOLockedValueBox(pool)
        let stubConfiguration = StubConfiguration(
            listenAddresses: try configuration.listen.map { try HostPort.parse($0, defaultPort: 53) },
            allowNonLoopback: configuration.allowNonLoopback,
            upstreamTimeout: .nanoseconds(Int64(configuration.upstreamTimeoutSeconds * 1_000_000_000)),
            cacheCapacity: configuration.cacheSize
        )
        self.cache = DNSCache(capacity: configuration.cacheSize, policy: stubConfiguration.cachePolicy)
        self.interceptBook = InterceptAddressBook(
            pool: try InterceptAddressPool(configuration.intercept.pool),
            path: configuration.state.map { AgentStatePaths(directory: $0).interceptAddresses }
        )
        if let config = loaded?.config, let tunnelText = config.tunnel, let serverName = config.servers.first?.name {
            let dialer = try RouterTunnelDialer(tls: tls, router: try HostPort.parse(tunnelText, defaultPort: 8443), serverName: serverName)
            self.routerDialer = dialer
            let ownerCheck = try InterceptOwnerPolicy(configuration.intercept).map { InterceptOwnerCheck(policy: $0) }
            self.intercept = configuration.intercept.enabled
                ? InterceptListeners(book: self.interceptBook, dialer: dialer, group: group, ownerCheck: ownerCheck, logger: logger) : nil
            self.reverseTunnel = ReverseTunnelClient(dialer: dialer, group: group, logger: logger)
        } else {
            self.routerDialer = nil
            self.intercept = nil
            self.reverseTunnel = nil
        }
        self.processor = StubQueryProcessor(
            upstream: Self.upstreamChain(
                Self.failoverUpstream(pool: pool, config: loaded?.config, stateDirectory: configuration.state, group: group, logger: logger),
                config: loaded?.config, book: self.intercept == nil ? nil : self.interceptBook
            ),
            cache: self.cache, configuration: stubConfiguration,
            observer: configuration.metricsListen == nil ? nil : self.metrics, logger: logger
        )
        self.stub = StubServer(configuration: stubConfiguration, processor: self.processor, group: group, logger: logger)

        if let state = configuration.state, let loaded {
            // The callbacks reach the agent through a box filled once init is done.
            let agentBox = NIOLockedValueBox<ZTAgent?>(nil)
            let updates = OrderedUpdateConsumer<AgentUpdate> { update in await agentBox.withLockedValue { $0 }?.apply(update) }
            self.updates = updates
            self.identityManager = try AgentIdentityManager(
                paths: AgentStatePaths(directory: state), loaded: loaded, client: EnrollmentClient(group: group), logger: logger,
                onIdentityChanged: { identity in updates.submit(.identity(identity)) },
                onConfigChanged: { config in updates.submit(.config(config)) }
            )
            agentBox.withLockedValue { $0 = self }
        } else {
            self.identityManager = nil
            self.updates = nil
        }
        self.watchForRejection(pool)
    }

    /// The DoT pool queries go to now.
    public var pool: DoTUpstreamPool { self.poolBox.withLockedValue { $0 } }

    /// The pool, wrapped in the config's policy for when every DoT server is down.
    static func failoverUpstream(pool: DoTUpstreamPool, config: AgentConfigClaims?, stateDirectory: String?, group: EventLoopGroup, logger: Logger) -> any DNSUpstream {
        guard let config else { return pool }
        var fallback: (any DNSUpstream)?
        if config.publicFailure == "open" {
            let original = HostDNSManager(environment: LocalHostEnvironment(), stateDirectory: stateDirectory ?? "/var/lib/ztagent").status().originalNameservers
            // Loopback resolvers (127.0.0.53 and the like) could send the query back to this stub.
            let servers = original.compactMap { try? SocketAddress(ipAddress: $0, port: 53) }.filter { !StubServer.isLoopback($0) }
            if servers.isEmpty {
                logger.warning("config says fail open, but no original (non-loopback) resolvers are known: failing closed")
            } else {
                fallback = PlainDNSUpstream(servers: servers, group: group)
            }
        }
        return PublicFailoverUpstream(primary: pool, fallback: fallback, privateSuffixes: config.privateSuffixes)
    }

    /// The failover upstream, behind the intercept of granted private services when it is on.
    static func upstreamChain(_ upstream: any DNSUpstream, config: AgentConfigClaims?, book: InterceptAddressBook?) -> any DNSUpstream {
        guard let book, let config, !config.services.isEmpty else { return upstream }
        return InterceptingUpstream(upstream: upstream, book: book, names: InterceptListeners.names(config.services))
    }

    static func endpoints(_ servers: [AgentConfiguration.Server]) throws -> [DoTServerEndpoint] {
        try servers.map { DoTServerEndpoint(address: try HostPort.parse($0.address, defaultPort: 853), serverName: $0.name) }
    }

    static func tlsSettings(identity: TLSIdentity, caPath: String, minimumVersion: String) throws -> TLSClientSettings {
        TLSClientSettings(
            certificateChain: try identity.nioCertificateChain(),
            privateKey: try identity.nioPrivateKey(),
            trustRoots: try TrustAnchors.nioCertificates(try TrustAnchors.load(path: caPath)),
            minimumTLSVersion: minimumVersion == "1.2" ? .tlsv12 : .tlsv13
        )
    }

    /// When the server refuses our certificate (revoked, say), answers learned with it must not
    /// outlive the refusal: the cache is emptied and stale answers are no longer served.
    private func watchForRejection(_ pool: DoTUpstreamPool) {
        pool.setIdentityRejectedHandler { [cache, processor, logger] reason in
            let dropped = cache.count
            cache.removeAll()
            processor.servesStale = false
            logger.error("server refused this endpoint's identity: cache emptied, stale answers off", metadata: ["dropped": "\(dropped)", "reason": "\(reason)"])
        }
    }

    /// A renewed identity: new upstream connections present it; open ones finish their queries.
    func useIdentity(_ identity: TLSIdentity) {
        do {
            let settings = try Self.tlsSettings(identity: identity, caPath: self.caPath, minimumVersion: self.minimumTLSVersion)
            try self.pool.updateTLS(settings)
            try self.routerDialer?.update(tls: settings)
            self.processor.servesStale = true
        } catch {
            self.logger.error("cannot use the renewed identity", metadata: ["error": "\(error)"])
        }
    }

    /// One update from the identity manager, applied by the single ordered consumer.
    func apply(_ update: AgentUpdate) async {
        switch update {
        case .identity(let identity): self.useIdentity(identity)
        case .config(let config): await self.useConfig(config)
        }
    }

    /// A new config: when the server list changed, a new pool takes new queries and the old one
    /// is closed once its queries had time to finish. Called only by the ordered consumer, so
    /// configs are applied one at a time in the order they were accepted.
    func useConfig(_ config: AgentConfigClaims) async {
        guard let manager = self.identityManager else { return }
        do {
            let identity = await manager.identity
            do {
                let servers = try Self.endpoints(config.servers)
                let current = self.pool.health().map(\.endpoint)
                if servers != current {
                    let pool = try DoTUpstreamPool(
                        configuration: .init(servers: servers, connectionsPerServer: self.configuration.connectionsPerServer),
                        tls: try Self.tlsSettings(identity: identity, caPath: self.caPath, minimumVersion: self.minimumTLSVersion),
                        group: self.group, logger: self.logger
                    )
                    self.watchForRejection(pool)
                    let old = self.poolBox.withLockedValue { box -> DoTUpstreamPool in
                        defer { box = pool }
                        return box
                    }
                    self.group.any().scheduleTask(in: .seconds(10)) { old.shutdown() }
                    self.logger.info("upstream servers replaced", metadata: ["servers": "\(servers)"])
                }
                // Private suffixes, services and the failure policy may have changed even when servers did not.
                if let tunnelText = config.tunnel, let tunnel = try? HostPort.parse(tunnelText, defaultPort: 8443), let serverName = config.servers.first?.name {
                    self.routerDialer?.update(router: tunnel, serverName: serverName)
                }
                await self.intercept?.apply(config.services)
                self.processor.replaceUpstream(Self.upstreamChain(
                    Self.failoverUpstream(pool: self.pool, config: config, stateDirectory: self.configuration.state, group: self.group, logger: self.logger),
                    config: config, book: self.intercept == nil ? nil : self.interceptBook
                ))
            } catch {
                self.logger.error("cannot use the new config's servers, keeping the current ones", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Network changes seen (netlink) and when the last one was.
    public var networkChangeCount: (count: Int, last: Date?) { self.networkChanges.withLockedValue { $0 } }

    /// A change of links, addresses or routes: upstream connections may now be dead or take a
    /// wrong route, so they are replaced (queries in flight finish on the old ones).
    public func networkChanged(_ changes: [NetworkChange]) {
        self.networkChanges.withLockedValue { $0 = ($0.count + 1, Date()) }
        self.pool.resetConnections()
        self.logger.info("network changed: upstream connections renewed", metadata: ["changes": "\(changes.count)"])
    }

    /// Where metrics are served, once started.
    public func startMetrics() async throws -> SocketAddress? {
        guard let listen = self.configuration.metricsListen else { return nil }
        let address = try HostPort.parse(listen, defaultPort: 9153)
        let server = MetricsServer(registry: self.metrics.registry, logger: self.logger) { [self] in
            await self.metrics.collect(from: self)
        }
        let bound = try await server.start(host: address.ipAddress ?? "127.0.0.1", port: address.port ?? 9153, group: self.group)
        self.metricsServer.withLockedValue { $0 = server }
        return bound
    }

    /// Everything `ztagent status` shows.
    public func status() async -> AgentStatus {
        let stats = self.processor.statistics.snapshot()
        let lookups = stats.cacheHits + stats.cacheMisses
        let pool = self.pool
        var identity = AgentStatus.Identity(commonName: self.identityName, certificateNotAfter: nil, certificateSerial: nil,
                                            rejections: pool.identityRejectionCount, renewals: 0, renewalFailures: 0)
        var config: AgentStatus.Config?
        if let manager = self.identityManager {
            let current = await manager.identity
            let statistics = await manager.statistics
            let claims = await manager.config
            identity.certificateNotAfter = current.notValidAfter
            identity.certificateSerial = current.leaf.serialNumber.bytes.map { String(format: "%02x", $0) }.joined()
            identity.renewals = statistics.renewals
            identity.renewalFailures = statistics.renewalFailures
            config = AgentStatus.Config(version: claims.version, expiresAt: claims.expiresAt, privateSuffixes: claims.privateSuffixes,
                                        refreshes: statistics.configRefreshes, rejections: statistics.configRejections)
        } else if let files = self.configuration.identity, let static_ = try? TLSIdentity.load(certificatePath: files.certificate, keyPath: files.key) {
            identity.certificateNotAfter = static_.notValidAfter
            identity.certificateSerial = static_.leaf.serialNumber.bytes.map { String(format: "%02x", $0) }.joined()
        }
        let dns = HostDNSManager(environment: LocalHostEnvironment(), stateDirectory: self.configuration.state ?? "/var/lib/ztagent").status()
        let network = self.networkChangeCount
        return AgentStatus(
            identity: identity,
            config: config,
            upstreams: pool.health().map {
                AgentStatus.Upstream(server: "\($0.endpoint)", up: $0.isUp, consecutiveFailures: $0.consecutiveFailures,
                                     openConnections: $0.openConnections, rttMilliseconds: $0.smoothedLatencyMilliseconds)
            },
            upstreamConnectionsOpened: pool.connectionsOpenedCount,
            cache: AgentStatus.Cache(entries: self.cache.count, hits: stats.cacheHits, misses: stats.cacheMisses,
                                     hitRate: lookups == 0 ? 0 : Double(stats.cacheHits) / Double(lookups)),
            queries: stats,
            resolver: AgentStatus.Resolver(mode: (dns.appliedMode ?? dns.detectedMode).rawValue, applied: dns.applied, intact: dns.intact, advice: dns.advice),
            network: AgentStatus.Network(changes: network.count, lastChange: network.last),
            listening: self.bound.withLockedValue { $0 },
            intercept: self.intercept.map { AgentStatus.Intercept(listeners: $0.bound, connections: $0.statistics.current) },
            serviceMode: self.reverseTunnel.flatMap { reverse -> AgentStatus.ServiceMode? in
                guard let state = self.configuration.state,
                      let services = try? LocalServiceStore(path: AgentStatePaths(directory: state).services).load(), !services.isEmpty
                else { return nil }
                let status = reverse.status
                return AgentStatus.ServiceMode(services: services.map(\.name), reverseConnected: status.connected, reverseServed: status.served,
                                               dialBacks: status.dialBacks, dialBackFailures: status.failures)
            }
        )
    }

    /// Starts the stub (and the metrics endpoint and control socket when configured); returns
    /// where the stub listens.
    @discardableResult
    public func start() async throws -> [(udp: SocketAddress, tcp: SocketAddress)] {
        let bound = try await self.stub.start()
        self.bound.withLockedValue { $0 = bound.map { "udp=\(HostPort.text($0.udp)) tcp=\(HostPort.text($0.tcp))" } }
        if let path = self.configuration.effectiveControlSocket {
            let control = ControlSocketServer(path: path) { [self] in await self.status() }
            do {
                try await control.start(group: self.group)
                self.controlServer.withLockedValue { $0 = control }
            } catch {
                self.logger.warning("no control socket: ztagent status will not work", metadata: ["path": "\(path)", "error": "\(error)"])
            }
        }
        if let manager = self.identityManager, let intercept = self.intercept {
            await intercept.apply(await manager.config.services)
        }
        await self.startServiceMode()
        if let metrics = try await self.startMetrics() {
            self.logger.info("metrics on http://\(metrics.ipAddress ?? "?"):\(metrics.port ?? 0)/metrics")
        }
        self.logger.info("ztagent ready", metadata: [
            "identity": "\(self.identityName ?? "?")",
            "servers": "\(self.pool.health().map { "\($0.endpoint)" })",
        ])
        return bound
    }

    /// Service mode: registers the services of the config file and of `<state>/services.json`
    /// with the server, and holds the reverse tunnel for the reverse ones.
    func startServiceMode() async {
        guard let state = self.configuration.state, let manager = self.identityManager, let reverse = self.reverseTunnel else { return }
        let store = LocalServiceStore(path: AgentStatePaths(directory: state).services)
        for service in self.configuration.services {
            do {
                let identity = await manager.identity
                let config = await manager.config
                _ = try await EnrollmentClient(group: self.group).registerService(
                    apiURL: config.apiURL, service,
                    ca: try TrustAnchors.nioCertificates(try TrustAnchors.load(path: self.caPath)),
                    identity: (try identity.nioCertificateChain(), try identity.nioPrivateKey())
                )
                try store.put(service)
                self.logger.info("service registered", metadata: ["service": "\(service.name)", "reverse": "\(service.reverse)"])
            } catch {
                self.logger.error("cannot register service \(service.name)", metadata: ["error": "\(error)"])
            }
        }
        self.reloadServices()
        reverse.start()
    }

    /// Re-reads `<state>/services.json` (after `ztagent service add/remove`, SIGHUP) and hands
    /// the reverse services to the reverse tunnel.
    public func reloadServices() {
        guard let state = self.configuration.state, let reverse = self.reverseTunnel else { return }
        do {
            let services = try LocalServiceStore(path: AgentStatePaths(directory: state).services).load()
            var targets: [String: (host: String, port: Int)] = [:]
            for service in services where service.reverse {
                if let target = try? HostPort.split(service.target) { targets[service.name] = target }
            }
            reverse.update(targets)
        } catch {
            self.logger.error("cannot read the service list, keeping the reverse tunnel as it is", metadata: ["error": "\(error)"])
        }
    }

    /// Stops the stub and closes upstream connections.
    public func stop() async {
        await self.updates?.finish()
        self.reverseTunnel?.stop()
        await self.intercept?.stop()
        await self.stub.stop()
        await self.metricsServer.withLockedValue { $0 }?.stop()
        await self.controlServer.withLockedValue { $0 }?.stop()
        self.pool.shutdown()
    }

    /// Re-reads a static identity's files (certificate renewed by other means).
    public func reloadIdentity() throws {
        guard let files = self.configuration.identity else { return }
        self.useIdentity(try TLSIdentity.load(certificatePath: files.certificate, keyPath: files.key))
    }

    /// Static mode's SIGHUP: re-reads the identity files; when that works, upstream connections
    /// are replaced (so the server sees the new certificate now, not at the next reconnect) and
    /// the cache emptied (its answers were given to the old identity). When the files cannot be
    /// used, the agent keeps serving with the identity it has.
    public func reloadStaticIdentity() {
        guard let files = self.configuration.identity else { return }
        do {
            let identity = try TLSIdentity.load(certificatePath: files.certificate, keyPath: files.key)
            let settings = try Self.tlsSettings(identity: identity, caPath: self.caPath, minimumVersion: self.minimumTLSVersion)
            try self.pool.updateTLS(settings)
            try self.routerDialer?.update(tls: settings)
            self.pool.resetConnections()
            self.cache.removeAll()
            self.processor.servesStale = true
            self.logger.notice("SIGHUP: identity reloaded", metadata: [
                "identity": "\(identity.commonName ?? "?")",
                "serial": "\(identity.leaf.serialNumber.bytes.map { String(format: "%02x", $0) }.joined())",
            ])
        } catch {
            self.logger.error("SIGHUP: cannot reload the identity, keeping the current one", metadata: ["error": "\(error)"])
        }
    }

    /// Serves until graceful shutdown. Prints one line with the bound addresses on standard output
    /// (`ztagent listening udp=… tcp=…`) so supervisors and tests know where it listens. In
    /// enrolled mode it also renews, refreshes the config (periodically and on SIGHUP) and writes
    /// its process id to the state directory.
    public func run() async throws {
        let bound = try await self.start()
        for pair in bound {
            print("ztagent listening udp=\(pair.udp.ipAddress ?? "?"):\(pair.udp.port ?? 0) tcp=\(pair.tcp.ipAddress ?? "?"):\(pair.tcp.port ?? 0)")
        }
        fflushStandardOutput()
        let notifier = SystemdNotifier()
        _ = notifier.ready(status: "serving DNS on \(bound.map { "\($0.udp)" }.joined(separator: ", "))")
        let monitor = NetworkChangeMonitor(debounceMilliseconds: 200) { [self] changes in self.networkChanged(changes) }
        do {
            try monitor.start()
        } catch {
            self.logger.warning("netlink unavailable: network changes will not be noticed", metadata: ["error": "\(error)"])
        }
        defer {
            _ = notifier.stopping()
            monitor.stop()
        }
        guard let manager = self.identityManager else {
            // Static mode: SIGHUP reloads the identity files (its default action would end the
            // process with a status systemd's Restart=on-failure does not restart).
            let hangups = SignalWatcher(signal: SIGHUP) { [self] in self.reloadStaticIdentity() }
            try? await gracefulShutdown()
            hangups.cancel()
            await self.stop()
            return
        }
        let pidFile = manager.paths.pid
        try? AtomicFile.write("\(getpid())\n", to: pidFile, mode: 0o644)
        let hangups = SignalWatcher(signal: SIGHUP) { [self] in
            self.reloadServices()
            Task { await manager.requestRefresh() }
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await manager.run() }
            group.addTask { try? await gracefulShutdown() }
            await group.next()
            group.cancelAll()
        }
        hangups.cancel()
        unlink(pidFile)
        await self.stop()
    }
}
