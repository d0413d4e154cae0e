import Agent
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServerLite
import Testing
import TestSupport
import ZTProtocol

/// TCP_NODELAY read back from the kernel on every socket of the intercept path our code opens:
/// the intercept's accepted connection, the dial to the router's tunnel listener, the router's
/// accepted tunnel connection and its dial to the backend. The old spelling
/// `.socketOption(.tcp_nodelay)` set SO_DEBUG instead (and failed for an unprivileged agent).
@Suite("Intercept path sockets: TCP_NODELAY, not SO_DEBUG", .serialized)
struct InterceptSocketOptionTests {
    @Test("intercept accept, router dial, tunnel accept, backend dial: TCP_NODELAY=1 and SO_DEBUG=0")
    func interceptPathSockets() async throws {
        let name = "echo.svc.test"
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let backend = try await TestBackend.echo(group: group)
        let backendPort = try #require(backend.localAddress?.port)
        let lab = try await RouterLab(group: group) { owner in
            RouteDefinition(name: "echo", serviceCommonName: owner, host: "127.0.0.1", port: backendPort, domains: [name])
        }
        let (intercept, book) = try await lab.intercept(for: lab.allowed, names: [name])
        let address = try book.address(for: name).description
        let tunnelPort = try #require(try lab.tunnel.port)

        let connection = try HeldConnection(host: address, port: lab.port)
        try connection.send(Array("ping".utf8))
        #expect(connection.receive(4) == Array("ping".utf8), "the echo did not come back through the tunnel")

        let sockets = SocketOptionProbe.tcpSockets().filter { $0.peerPort != 0 }
        let accepted = sockets.filter { $0.localHost == address && $0.localPort == lab.port }
        let routerDial = sockets.filter { $0.peerPort == tunnelPort }
        let tunnelAccepted = sockets.filter { $0.localPort == tunnelPort }
        let backendDial = sockets.filter { $0.peerPort == backendPort }
        for (label, found) in [("intercept accept", accepted), ("router dial", routerDial), ("tunnel accept", tunnelAccepted), ("backend dial", backendDial)] {
            #expect(found.count == 1, "\(label): \(found) among \(sockets)")
            for socket in found {
                #expect(socket.noDelay == 1, "\(label): \(socket)")
                #expect(socket.debug == 0, "\(label): \(socket)")
            }
        }
        await intercept.stop()
        await lab.stop()
        try await backend.close()
        try await group.shutdownGracefully()
    }

    @Test("reverse tunnel: the service agent's dial-back to its backend and its tunnel connections: TCP_NODELAY=1 and SO_DEBUG=0")
    func reverseTunnelSockets() async throws {
        let name = "echo.svc.test"
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let backend = try await TestBackend.echo(group: group)
        let backendPort = try #require(backend.localAddress?.port)
        let lab = try await RouterLab(group: group) { owner in
            RouteDefinition(name: "echo", serviceCommonName: owner, host: "backend.invalid", port: 1, domains: [name], dial: .reverse)
        }
        let (intercept, book) = try await lab.intercept(for: lab.allowed, names: [name])
        var logger = Logger(label: "test.reverse")
        logger.logLevel = .critical
        let reverse = ReverseTunnelClient(dialer: try lab.dialer(for: lab.service), group: group, logger: logger)
        reverse.update(["echo": (host: "127.0.0.1", port: backendPort)])
        reverse.start()
        #expect(await eventually(5) { lab.server.router.reverseRoutesServed == ["echo"] })

        let connection = try HeldConnection(host: try book.address(for: name).description, port: lab.port)
        try connection.send(Array("ping".utf8))
        #expect(connection.receive(4) == Array("ping".utf8), "the echo did not come back through the reverse tunnel")
        let tunnelPort = try #require(try lab.tunnel.port)
        let sockets = SocketOptionProbe.tcpSockets().filter { $0.peerPort != 0 }
        let dialBack = sockets.filter { $0.peerPort == backendPort }
        let tunnelClients = sockets.filter { $0.peerPort == tunnelPort }
        #expect(dialBack.count == 1, "dial-back to the backend: \(dialBack) among \(sockets)")
        // The intercept's dial, the reverse control connection and its data connection.
        #expect(tunnelClients.count >= 3, "tunnel connections: \(tunnelClients)")
        for socket in dialBack + tunnelClients {
            #expect(socket.noDelay == 1, "\(socket)")
            #expect(socket.debug == 0, "\(socket)")
        }
        reverse.stop()
        await intercept.stop()
        await lab.stop()
        try await backend.close()
        try await group.shutdownGracefully()
    }
}
