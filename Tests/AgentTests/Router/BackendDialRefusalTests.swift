import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServerLite
import Testing
import TestSupport

/// The router checks a backend's addresses again at every dial: a route whose name resolves
/// into a network the router refuses (here `localhost`, allowed when the route was added, no
/// longer in the running server's configuration) is refused with a counted reason, and the
/// backend never sees a connection.
@Suite("TLS router: backends the router refuses to dial", .serialized)
struct BackendDialRefusalTests {
    static let name = "echo.svc.test"

    @Test("a route's name resolving to loopback at dial time: refused, counted, nothing reaches the backend")
    func nameResolvingToLoopbackIsRefusedAtDialTime() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let accepted = NIOLockedValueBox(0)
        let backend = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                accepted.withLockedValue { $0 += 1 }
                return channel.close()
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let backendPort = backend.localAddress?.port ?? 0
        let route: (String) -> RouteDefinition = { owner in
            RouteDefinition(name: "echo", serviceCommonName: owner, host: "localhost", port: backendPort, domains: [Self.name])
        }

        // The running server allows no network: localhost (127.0.0.1, ::1) is refused.
        let refusing = try await RouterLab(group: group, route: route, adjust: { $0.serviceBackendAllowNetworks = [] })
        let received = try await RouterTunnelTests.rawTunnel(lab: refusing, client: refusing.allowed, serverName: Self.name, send: Array("ping\n".utf8))
        #expect(received.isEmpty)
        #expect(await eventually(3) { refusing.server.router.statistics.refusals[BackendAddressRefusal.reason] == 1 })
        #expect(refusing.server.router.statistics.services["echo"]?.backendFailures ?? 0 == 0, "counted as a refusal, not a backend failure")
        #expect(accepted.withLockedValue { $0 } == 0, "the backend saw a connection")
        await refusing.stop()

        // The same route with loopback allowed reaches the backend: the refusal was the policy.
        let allowing = try await RouterLab(group: group, route: route)
        _ = try await RouterTunnelTests.rawTunnel(lab: allowing, client: allowing.allowed, serverName: Self.name, send: Array("ping\n".utf8))
        #expect(await eventually(3) { accepted.withLockedValue { $0 } == 1 })
        #expect(allowing.server.router.statistics.refusals[BackendAddressRefusal.reason] == nil)
        await allowing.stop()

        try await backend.close()
        try await group.shutdownGracefully()
    }
}
