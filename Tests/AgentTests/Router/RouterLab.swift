import Agent
import CertStore
import DNSTransport
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServerLite
import TestSupport
import ZTProtocol

/// A real server (DoT, API, tunnel listener) with a zone and a route to a backend, and the
/// agent's own intercept and reverse-tunnel components presenting real identities, all in
/// this process on ephemeral ports and a private loopback block.
final class RouterLab {
    let fixture: ServerFixture
    let group: EventLoopGroup
    let server: ZTServer
    let addresses: ServerBoundAddresses
    let allowed: TestPKI.Files
    let stranger: TestPKI.Files
    let service: TestPKI.Files
    let pool: InterceptAddressPool
    let port: Int

    static let zone = "svc.test"

    /// - Parameter route: builds the route from the service CN (the backend is up to the test).
    init(group: EventLoopGroup, route: (String) -> RouteDefinition, adjust: @escaping (inout ServerConfiguration) -> Void = { _ in }) async throws {
        self.group = group
        // The backends are in this process, on loopback: a network the router refuses unless
        // the operator allows it (here server-wide, in server.json).
        self.fixture = try ServerFixture { $0.serviceBackendAllowNetworks = ["127.0.0.0/8"] }
        self.allowed = try self.fixture.issue("c-app")
        self.stranger = try self.fixture.issue("c-stranger")
        self.service = try self.fixture.issue("s-backend", kind: .service)
        try self.fixture.administration.addZone(Self.zone, records: [], allow: ["c-app"], serviceCommonName: "s-backend")
        try self.fixture.administration.addRoute(route("s-backend"))
        (self.server, self.addresses) = try await self.fixture.startServer(group: group, adjust: adjust)
        // A loopback block and port of its own, so tests running side by side never collide.
        let second = UInt8.random(in: 100...250)
        self.pool = try InterceptAddressPool("127.\(second).0.0/16")
        self.port = Int.random(in: 20_000...60_000)
    }

    var tunnel: SocketAddress {
        get throws {
            guard let tunnel = self.addresses.tunnel else { throw LabError.noTunnel }
            return tunnel
        }
    }

    func dialer(for client: TestPKI.Files) throws -> RouterTunnelDialer {
        try RouterTunnelDialer(tls: try self.fixture.tlsSettings(for: client), router: try self.tunnel, serverName: self.fixture.serverName)
    }

    /// The agent's intercept for `client`, listening for the granted names on `port`.
    func intercept(for client: TestPKI.Files, names: [String]) async throws -> (InterceptListeners, InterceptAddressBook) {
        let book = InterceptAddressBook(pool: self.pool, path: nil)
        var logger = Logger(label: "test.intercept")
        logger.logLevel = ProcessInfo.processInfo.environment["ZT_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        let listeners = InterceptListeners(book: book, dialer: try self.dialer(for: client), group: self.group, logger: logger)
        await listeners.apply([ServiceGrant(name: "svc", domains: names, ports: [self.port])])
        return (listeners, book)
    }

    func stop() async {
        await self.server.stop()
        self.fixture.remove()
    }

    enum LabError: Error { case noTunnel }
}

/// Open file descriptors of this process.
func openFileDescriptors() -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
}

/// Polls `condition` every 50 ms for up to `seconds`.
func eventually(_ seconds: Double, _ condition: () -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return condition()
}
