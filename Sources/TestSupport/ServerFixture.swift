import CertStore
import Crypto
import DNSTransport
import Foundation
import Logging
import NIOCore
import ServerLite
import StubResolver
import X509

/// A ServerLite state directory made at test time (fresh CA, server certificate, zones,
/// endpoints), and helpers to run a real server and a real stub against it on ephemeral ports.
public struct ServerFixture: Sendable {
    public let directory: String
    public let paths: ServerPaths
    public let administration: ServerAdministration
    public let serverName = "ztserver.test"
    /// The router address private names resolve to.
    public let routerAddress = "203.0.113.50"

    /// Creates the state directory; `configure` edits server.json (upstream, TTLs).
    public init(configure: (inout ServerConfiguration) -> Void = { _ in }) throws {
        self.directory = NSTemporaryDirectory() + "ztagent-fixture-\(UUID().uuidString)"
        self.paths = ServerPaths(directory: "\(self.directory)/server")
        self.administration = ServerAdministration(paths: self.paths)
        try self.administration.initialize(serverName: self.serverName, routerAddress: self.routerAddress, dotListen: "127.0.0.1:0")
        let store = ServerStateStore(paths: self.paths)
        var configuration = try store.loadConfiguration()
        configure(&configuration)
        try store.saveConfiguration(configuration)
    }

    /// Issues and registers a client identity; files go to <fixture>/clients/<cn>.{pem,key}.
    /// An existing CN is refused unless `replace` (then only the new serial is accepted).
    public func issue(_ commonName: String, kind: EndpointRecord.Kind = .client, lifetime: TimeInterval = 86_400, replace: Bool = false) throws -> TestPKI.Files {
        let files = try self.administration.issueEndpoint(commonName, kind: kind, lifetime: lifetime, outputDirectory: "\(self.directory)/clients", replace: replace)
        return TestPKI.Files(
            certificatePath: files.certificate, keyPath: files.key,
            identity: try TLSIdentity.load(certificatePath: files.certificate, keyPath: files.key)
        )
    }

    /// Renews `current` as the enrollment API does: a new key and certificate for the same CN,
    /// recorded in the registry from the current serial, which stays accepted for `grace`.
    /// Files go to <fixture>/clients/<cn>-<serial>.{pem,key}.
    public func renew(_ current: TestPKI.Files, grace: TimeInterval = 60) throws -> TestPKI.Files {
        guard let leaf = current.identity.certificateChain.first, let commonName = leaf.authenticatedPeer?.commonName else {
            throw AdministrationError.invalid("the identity to renew has no CN")
        }
        let authority = try CertificateAuthority.load(certificatePath: self.paths.caCertificate, keyPath: self.paths.caKey)
        let key = P256.Signing.PrivateKey()
        let lifetime = max(60, leaf.notValidAfter.timeIntervalSince(leaf.notValidBefore))
        let certificate = try authority.issue(.client(commonName: commonName, lifetime: lifetime), publicKey: key.publicKey)
        let outcome = try self.administration.registry().recordRenewal(
            commonName, presentedSerial: leaf.serialText, serial: certificate.serialText, notAfter: certificate.notValidAfter, grace: grace
        )
        guard outcome == .renewed else { throw AdministrationError.invalid("renewal of \(commonName) refused: \(outcome)") }
        let identity = try TLSIdentity(certificateChain: [certificate], privateKey: key)
        let base = "\(self.directory)/clients/\(commonName)-\(certificate.serialText.prefix(12))"
        let files = TestPKI.Files(certificatePath: "\(base).pem", keyPath: "\(base).key", identity: identity)
        try identity.write(certificatePath: files.certificatePath, keyPath: files.keyPath)
        return files
    }

    /// A certificate from the server's CA whose validity ended an hour ago, for a registered CN.
    public func issueExpired(_ commonName: String) throws -> TestPKI.Files {
        _ = try self.issue(commonName)
        let authority = try CertificateAuthority.load(certificatePath: self.paths.caCertificate, keyPath: self.paths.caKey)
        let key = P256.Signing.PrivateKey()
        let now = Date()
        let certificate = try authority.issue(
            IssuanceProfile(commonName: commonName, usage: .client, notValidBefore: now.addingTimeInterval(-7200), notValidAfter: now.addingTimeInterval(-3600)),
            publicKey: key.publicKey
        )
        let identity = try TLSIdentity(certificateChain: [certificate], privateKey: key)
        let files = TestPKI.Files(certificatePath: "\(self.directory)/clients/\(commonName)-expired.pem", keyPath: "\(self.directory)/clients/\(commonName)-expired.key", identity: identity)
        try identity.write(certificatePath: files.certificatePath, keyPath: files.keyPath)
        return files
    }

    /// The CA certificate file agents trust.
    public var caPath: String { self.paths.caCertificate }

    /// Starts a server in this process on an ephemeral DoT port.
    public func startServer(group: EventLoopGroup, reloadInterval: TimeAmount = .milliseconds(200), adjust: @escaping (inout ServerConfiguration) -> Void = { _ in }) async throws -> (server: ZTServer, addresses: ServerBoundAddresses) {
        var logger = Logger(label: "test.ztserver")
        // ZT_TEST_LOG=debug shows the server's log while debugging a test.
        logger.logLevel = ProcessInfo.processInfo.environment["ZT_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        let server = try await ZTServer(paths: self.paths, group: group, logger: logger, reloadInterval: reloadInterval) { configuration in
            configuration.dotListen = "127.0.0.1:0"
            configuration.apiListen = "127.0.0.1:0"
            configuration.tunnelListen = "127.0.0.1:0"
            adjust(&configuration)
        }
        let addresses = try await server.start()
        return (server, addresses)
    }

    /// TLS settings presenting `client` and trusting the fixture's CA.
    public func tlsSettings(for client: TestPKI.Files) throws -> TLSClientSettings {
        TLSClientSettings(
            certificateChain: try client.identity.nioCertificateChain(),
            privateKey: try client.identity.nioPrivateKey(),
            trustRoots: try TrustAnchors.nioCertificates(try TrustAnchors.load(path: self.caPath))
        )
    }

    /// A DoT pool presenting `client` to the given servers.
    public func makePool(client: TestPKI.Files, servers: [SocketAddress], group: EventLoopGroup, connectionsPerServer: Int = 2) throws -> DoTUpstreamPool {
        var logger = Logger(label: "test.pool")
        logger.logLevel = .critical
        return try DoTUpstreamPool(
            configuration: .init(servers: servers.map { DoTServerEndpoint(address: $0, serverName: self.serverName) }, connectionsPerServer: connectionsPerServer, initialBackoff: .milliseconds(100), maximumBackoff: .seconds(1), retireGracePeriod: .seconds(2)),
            tls: TLSClientSettings(
                certificateChain: try client.identity.nioCertificateChain(),
                privateKey: try client.identity.nioPrivateKey(),
                trustRoots: try TrustAnchors.nioCertificates(try TrustAnchors.load(path: self.caPath))
            ),
            group: group, logger: logger
        )
    }

    /// A stub on 127.0.0.1:0 in front of `upstream`.
    public func startStub(upstream: any DNSUpstream, group: EventLoopGroup, timeout: TimeAmount = .seconds(2), cache: DNSCache = DNSCache(), configure: (inout StubConfiguration) -> Void = { _ in }) async throws -> (stub: StubServer, processor: StubQueryProcessor, udp: SocketAddress, tcp: SocketAddress) {
        var configuration = StubConfiguration(listenAddresses: [try SocketAddress(ipAddress: "127.0.0.1", port: 0)], upstreamTimeout: timeout)
        configure(&configuration)
        var logger = Logger(label: "test.stub")
        logger.logLevel = .critical
        let processor = StubQueryProcessor(upstream: upstream, cache: cache, configuration: configuration, logger: logger)
        let stub = StubServer(configuration: configuration, processor: processor, group: group, logger: logger)
        let bound = try await stub.start()
        guard let first = bound.first else { throw StubServerError.noListenAddress }
        return (stub, processor, first.udp, first.tcp)
    }

    /// Deletes the fixture's files.
    public func remove() {
        try? FileManager.default.removeItem(atPath: self.directory)
    }
}
