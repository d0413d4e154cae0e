import DNSTransport
#if canImport(Glibc)
import Glibc
#endif
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
    @Test("DoT pool connection, the server's accepted DoT connection, the stub's accepted TCP: TCP_NODELAY on, SO_DEBUG off")
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

        // The stub's accepted TCP connection (a plain client socket held open meanwhile).
        let stubPort = try #require(stack.tcp.port)
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(client) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(stubPort).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(connected == 0)
        var stubSide: [SocketOptionProbe.Socket] = []
        for _ in 0..<50 where stubSide.isEmpty {
            stubSide = SocketOptionProbe.connected(port: stubPort).filter { $0.localPort == stubPort }
            if stubSide.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(stubSide.count == 1, "the stub's accepted TCP connection: \(SocketOptionProbe.tcpSockets())")
        for socket in stubSide {
            #expect(socket.noDelay == 1, "\(socket)")
            #expect(socket.debug == 0, "\(socket)")
        }
        await stack.stop()
        try await group.shutdownGracefully()
    }
}
