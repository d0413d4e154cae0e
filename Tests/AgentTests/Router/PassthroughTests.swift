import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import ServerLite
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The passthrough listener with ClientHellos made by a real TLS client (swift-nio-ssl /
/// BoringSSL): routed by SNI however the hello is split, everything else closed without a byte.
@Suite("TLS router: SNI passthrough", .serialized)
struct PassthroughTests {
    @Test("a ClientHello sent one byte per segment is routed; garbage, oversized, SNI-less and non-passthrough hellos are closed")
    func passthroughRouting() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let backend = try await TestBackend.echo(group: group)
        let backendPort = backend.localAddress?.port ?? 0
        let lab = try await RouterLab(group: group, route: { owner in
            RouteDefinition(name: "echo", serviceCommonName: owner, host: "127.0.0.1", port: backendPort, domains: ["echo.svc.test"], passthrough: true)
        }, adjust: { $0.passthroughListen = "127.0.0.1:0" })
        try lab.fixture.administration.addRoute(RouteDefinition(name: "private", serviceCommonName: "s-backend", host: "127.0.0.1", port: backendPort, domains: ["private.svc.test"]))
        #expect(await eventually(3) { lab.server.resolver.snapshot.routes.routes.count == 2 })
        let port = try #require(lab.addresses.passthrough?.port)

        let hello = try await Self.captureClientHello(serverName: "echo.svc.test", group: group)
        #expect(hello.count > 100)
        // Split across segments: one byte per write.
        let fd = try RouterTunnelTests.connectBlocking("127.0.0.1", port)
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        for byte in hello {
            _ = withUnsafeBytes(of: byte) { write(fd, $0.baseAddress, 1) }
            usleep(200)
        }
        let echoed = Self.readExactly(fd, count: hello.count)
        #expect(echoed == hello, "the backend did not get the hello as sent (\(echoed.count) of \(hello.count) bytes back)")
        close(fd)

        let noSNI = try await Self.captureClientHello(serverName: nil, group: group)
        let privateHello = try await Self.captureClientHello(serverName: "private.svc.test", group: group)
        let unknownHello = try await Self.captureClientHello(serverName: "nowhere.svc.test", group: group)
        var oversized: [UInt8] = [0x16, 0x03, 0x01, 0x40, 0x00, 0x01, 0x00, 0xFF, 0xFF]  // declares a 64 KiB hello
        oversized += [UInt8](repeating: 0, count: 64)
        let garbage = Array("GET / HTTP/1.1\r\nHost: echo.svc.test\r\n\r\n".utf8)
        for (name, bytes) in [("garbage", garbage), ("oversized", oversized), ("no SNI", noSNI), ("not passthrough", privateHello), ("unknown name", unknownHello)] {
            let fd = try RouterTunnelTests.connectBlocking("127.0.0.1", port)
            _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, bytes.count) }
            #expect(RouterTunnelTests.readsEndOfStream(fd), "\(name): the connection was not closed")
            close(fd)
        }
        let refusals = lab.server.router.statistics.refusals
        #expect(refusals["bad_client_hello"] == 2, "\(refusals)")
        #expect(refusals["no_sni"] == 1, "\(refusals)")
        #expect(refusals["not_passthrough"] == 1, "\(refusals)")
        #expect(refusals["unknown_name"] == 1, "\(refusals)")
        #expect(lab.server.router.statistics.services["echo"]?.connections == 1)
        #expect(await eventually(5) { lab.server.router.statistics.openConnections == 0 })

        await lab.stop()
        try await backend.close()
        try await group.shutdownGracefully()
    }

    @Test("a route that says resolve dials the client's own name (AAAA/A), as rpx does")
    func resolveDial() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let backend = try await TestBackend.echo(group: group)
        let backendPort = backend.localAddress?.port ?? 0
        // "localhost" resolves through the host's own resolver (/etc/hosts) to loopback; the
        // route's host is never used.
        let lab = try await RouterLab(group: group, route: { owner in
            RouteDefinition(name: "echo", serviceCommonName: owner, host: "unused.invalid", port: backendPort, domains: ["echo.svc.test"])
        }, adjust: { $0.passthroughListen = "127.0.0.1:0" })
        try lab.fixture.administration.addZone("localhost", records: [], allow: [], serviceCommonName: "s-backend")
        try lab.fixture.administration.addRoute(RouteDefinition(name: "local", serviceCommonName: "s-backend", host: "unused.invalid", port: backendPort,
                                                                domains: ["localhost"], dial: .resolve, passthrough: true))
        #expect(await eventually(3) { lab.server.resolver.snapshot.routes.routes["local"] != nil })
        let port = try #require(lab.addresses.passthrough?.port)
        let hello = try await Self.captureClientHello(serverName: "localhost", group: group)
        let fd = try RouterTunnelTests.connectBlocking("127.0.0.1", port)
        _ = hello.withUnsafeBytes { write(fd, $0.baseAddress, hello.count) }
        #expect(Self.readExactly(fd, count: hello.count) == hello)
        close(fd)
        #expect(lab.server.router.statistics.services["local"]?.connections == 1)
        await lab.stop()
        try await backend.close()
        try await group.shutdownGracefully()
    }

    /// The first bytes a real TLS client (BoringSSL) sends: its ClientHello.
    static func captureClientHello(serverName: String?, group: EventLoopGroup) async throws -> [UInt8] {
        let captured = NIOLockedValueBox<[UInt8]>([])
        let listener = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(CaptureHandler(captured: captured)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        let context = try NIOSSLContext(configuration: configuration)
        let client = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: serverName))
                }
            }
            .connect(host: "127.0.0.1", port: listener.localAddress?.port ?? 0).get()
        _ = await eventually(3) { captured.withLockedValue { $0.count } > 5 }
        try await Task.sleep(for: .milliseconds(100))
        try? await client.close()
        try await listener.close()
        return captured.withLockedValue { $0 }
    }

    static func readExactly(_ fd: Int32, count: Int) -> [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while result.count < count {
            let n = read(fd, &buffer, min(4096, count - result.count))
            if n <= 0 { break }
            result += buffer[..<n]
        }
        return result
    }
}

/// Keeps what a client sends.
final class CaptureHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let captured: NIOLockedValueBox<[UInt8]>

    init(captured: NIOLockedValueBox<[UInt8]>) {
        self.captured = captured
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = Array(self.unwrapInboundIn(data).readableBytesView)
        self.captured.withLockedValue { $0 += bytes }
    }
}
