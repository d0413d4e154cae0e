import DNSTransport
import DNSWire
import NIOCore
import NIOPosix
import StubResolver
import Testing
import TestSupport

/// TCP_NODELAY read back from the kernel on the sockets the DoT pool opens and the server
/// accepts. `.socketOption(.tcp_nodelay)` set option 1 at SOL_SOCKET, which is SO_DEBUG: it
/// needs CAP_NET_ADMIN, so an unprivileged agent could not connect at all.
@Suite(.serialized) struct SocketOptionTests {
    @Test("DoT pool connection and the server's accepted DoT connection: TCP_NODELAY on, SO_DEBUG off")
    func dotConnectionsHaveNoDelayAndNoDebug() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let stack = try await LiveStack.start(group: group)
        let answer = try #require(try await stack.client.udp(DNSMessage.query(id: 7, name: dnsName("db.corp.test."), type: .a), to: stack.udp))
        #expect(answer.responseCode == .noError)

        let dotPort = try #require(stack.dot.port)
        let sockets = SocketOptionProbe.connected(port: dotPort)
        let poolSide = sockets.filter { $0.peerPort == dotPort }
        let serverSide = sockets.filter { $0.localPort == dotPort }
        #expect(!poolSide.isEmpty, "no DoT pool connection to \(dotPort) found: \(SocketOptionProbe.tcpSockets())")
        #expect(!serverSide.isEmpty, "no accepted DoT connection on \(dotPort) found: \(SocketOptionProbe.tcpSockets())")
        for socket in poolSide + serverSide {
            #expect(socket.noDelay == 1, "\(socket)")
            #expect(socket.debug == 0, "\(socket)")
        }
        await stack.stop()
        try await group.shutdownGracefully()
    }
}
