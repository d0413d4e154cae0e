import CertStore
import DNSTransport
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import ServiceLifecycle
import StubResolver

/// The agent: the loopback stub, its cache and the mTLS DoT pool, wired from one configuration.
public final class ZTAgent: Service, Sendable {
    public let configuration: AgentConfiguration
    public let pool: DoTUpstreamPool
    public let cache: DNSCache
    public let processor: StubQueryProcessor
    public let stub: StubServer
    private let logger: Logger
    private let identityName: String?

    /// Loads the identity (refusing a key readable by others) and trust anchors, and builds the
    /// stub and upstream pool. Nothing listens until ``start()`` or ``run()``.
    public init(configuration: AgentConfiguration, group: EventLoopGroup, logger: Logger = Logger(label: "ztagent")) throws {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        let identity = try TLSIdentity.load(certificatePath: configuration.identity.certificate, keyPath: configuration.identity.key)
        self.identityName = identity.commonName
        let tls = try Self.tlsSettings(identity: identity, caPath: configuration.ca, minimumVersion: configuration.minimumTLSVersion)
        let servers = try configuration.servers.map { server in
            DoTServerEndpoint(address: try HostPort.parse(server.address, defaultPort: 853), serverName: server.name)
        }
        self.pool = try DoTUpstreamPool(
            configuration: .init(servers: servers, connectionsPerServer: configuration.connectionsPerServer),
            tls: tls, group: group, logger: logger
        )
        let stubConfiguration = StubConfiguration(
            listenAddresses: try configuration.listen.map { try HostPort.parse($0, defaultPort: 53) },
            allowNonLoopback: configuration.allowNonLoopback,
            upstreamTimeout: .nanoseconds(Int64(configuration.upstreamTimeoutSeconds * 1_000_000_000)),
            cacheCapacity: configuration.cacheSize
        )
        self.cache = DNSCache(capacity: configuration.cacheSize, policy: stubConfiguration.cachePolicy)
        self.processor = StubQueryProcessor(upstream: self.pool, cache: self.cache, configuration: stubConfiguration, logger: logger)
        self.stub = StubServer(configuration: stubConfiguration, processor: self.processor, group: group, logger: logger)
    }

    static func tlsSettings(identity: TLSIdentity, caPath: String, minimumVersion: String) throws -> TLSClientSettings {
        TLSClientSettings(
            certificateChain: try identity.nioCertificateChain(),
            privateKey: try identity.nioPrivateKey(),
            trustRoots: try TrustAnchors.nioCertificates(try TrustAnchors.load(path: caPath)),
            minimumTLSVersion: minimumVersion == "1.2" ? .tlsv12 : .tlsv13
        )
    }

    /// Starts the stub; returns where it listens.
    @discardableResult
    public func start() async throws -> [(udp: SocketAddress, tcp: SocketAddress)] {
        let bound = try await self.stub.start()
        self.logger.info("ztagent ready", metadata: [
            "identity": "\(self.identityName ?? "?")",
            "servers": "\(self.configuration.servers.map(\.address))",
        ])
        return bound
    }

    /// Stops the stub and closes upstream connections.
    public func stop() async {
        await self.stub.stop()
        self.pool.shutdown()
    }

    /// Re-reads the identity files and uses them for new upstream connections without failing
    /// queries in flight (certificate renewal).
    public func reloadIdentity() throws {
        let identity = try TLSIdentity.load(certificatePath: self.configuration.identity.certificate, keyPath: self.configuration.identity.key)
        try self.pool.updateTLS(try Self.tlsSettings(identity: identity, caPath: self.configuration.ca, minimumVersion: self.configuration.minimumTLSVersion))
    }

    /// Serves until graceful shutdown. Prints one line with the bound addresses on standard output
    /// (`ztagent listening udp=… tcp=…`) so supervisors and tests know where it listens.
    public func run() async throws {
        let bound = try await self.start()
        for pair in bound {
            print("ztagent listening udp=\(pair.udp.ipAddress ?? "?"):\(pair.udp.port ?? 0) tcp=\(pair.tcp.ipAddress ?? "?"):\(pair.tcp.port ?? 0)")
        }
        fflushStandardOutput()
        try? await gracefulShutdown()
        await self.stop()
    }
}
