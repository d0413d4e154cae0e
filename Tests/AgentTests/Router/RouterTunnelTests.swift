import Agent
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServerLite
import Testing
import TestSupport
import TunnelRelay
import ZTProtocol

#if canImport(Glibc)
import Glibc
#endif

/// The data path for real: application -> agent intercept (loopback) -> mutual-TLS tunnel ->
/// router -> backend, with the server, agent components and backends in this process.
@Suite("TLS router: tunnel, intercept, reverse tunnel", .serialized)
struct RouterTunnelTests {
    static let name = "echo.svc.test"

    @Test("200 concurrent tunnelled connections, 256 KiB each way: every byte arrives in order (SHA-256)")
    func concurrentTunnels() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let backend = try await TestBackend.echo(group: group)
        let lab = try await RouterLab(group: group) { owner in
            RouteDefinition(name: "echo", serviceCommonName: owner, host: "127.0.0.1", port: backend.localAddress?.port ?? 0, domains: [Self.name])
        }
        let (intercept, book) = try await lab.intercept(for: lab.allowed, names: [Self.name])
        let address = try book.address(for: Self.name)
        #expect(lab.pool.contains(address))

        let port = lab.port
        let results = try await withThrowingTaskGroup(of: (String, String).self) { tasks in
            for index in 0..<200 {
                tasks.addTask {
                    let payload = [UInt8].random(count: 256 * 1024, seed: UInt64(index + 1))
                    let echoed = try await ByteExchangeHandler.exchange(payload, host: address.description, port: port, group: group)
                    return (payload.sha256, echoed.sha256)
                }
            }
            var all: [(String, String)] = []
            for try await result in tasks { all.append(result) }
            return all
        }
        #expect(results.count == 200)
        #expect(results.allSatisfy { $0.0 == $0.1 }, "\(results.filter { $0.0 != $0.1 }.count) connections lost or reordered bytes")
        let services = lab.server.router.statistics.services
        #expect(services["echo"]?.connections == 200)
        #expect(services["echo"]?.bytesFromClients == 200 * 256 * 1024)
        #expect(services["echo"]?.bytesFromBackend == 200 * 256 * 1024)
        #expect(await eventually(5) { lab.server.router.statistics.openConnections == 0 })

        await intercept.stop()
        await lab.stop()
        try await backend.close()
        try await group.shutdownGracefully()
    }

    @Test("an endpoint the zone does not allow: handshake, then closed with not one byte")
    func strangerLearnsNothing() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let backend = try await TestBackend.echo(group: group)
        let backendPort = backend.localAddress?.port ?? 0
        let lab = try await RouterLab(group: group) { owner in
            RouteDefinition(name: "echo", serviceCommonName: owner, host: "127.0.0.1", port: backendPort, domains: [Self.name])
        }
        for (client, name) in [(lab.stranger, Self.name), (lab.allowed, "unknown.svc.test"), (lab.allowed, "echo.other.test")] {
            let received = try await Self.rawTunnel(lab: lab, client: client, serverName: name, send: Array("GET / HTTP/1.0\r\n\r\n".utf8))
            #expect(received.isEmpty, "\(client.identity.commonName ?? "?") -> \(name) received \(received.count) bytes")
            #expect(!String(decoding: received, as: UTF8.self).contains("\(backendPort)"))
        }
        #expect(lab.server.router.statistics.refusals["not_allowed"] == 1)
        #expect(lab.server.router.statistics.refusals["unknown_name"] == 2)
        #expect(lab.server.router.statistics.services["echo"]?.connections == nil)
        await lab.stop()
        try await backend.close()
        try await group.shutdownGracefully()
    }

    @Test("slow reader, then abrupt resets on either side: connections and file descriptors return to the baseline")
    func slowReadersAndResets() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let written = NIOLockedValueBox(0)
        let firehose = try await TestBackend.firehose(group: group, total: 1 << 30, written: written)
        let lab = try await RouterLab(group: group) { owner in
            RouteDefinition(name: "firehose", serviceCommonName: owner, host: "127.0.0.1", port: firehose.localAddress?.port ?? 0, domains: [Self.name])
        }
        let (intercept, book) = try await lab.intercept(for: lab.allowed, names: [Self.name])
        let address = try book.address(for: Self.name)
        try await Task.sleep(for: .milliseconds(200))
        let baseline = openFileDescriptors()

        // Ten clients that never read: the backend must be held back, not buffered without end.
        var clients: [Int32] = []
        for _ in 0..<10 { clients.append(try Self.connectBlocking(address.description, lab.port)) }
        try await Task.sleep(for: .seconds(2))
        let afterTwoSeconds = written.withLockedValue { $0 }
        try await Task.sleep(for: .seconds(1))
        let afterThreeSeconds = written.withLockedValue { $0 }
        #expect(afterThreeSeconds - afterTwoSeconds < 2 << 20, "backend kept writing while nobody read: \(afterTwoSeconds) -> \(afterThreeSeconds)")
        // What may sit in flight per connection is the kernel's socket buffers on the three
        // TCP hops (backend -> router -> agent -> application) plus our watermarks; anything
        // beyond would be user-space buffering without backpressure.
        let perConnection = 3 * (Self.kernelBufferMaximum("tcp_rmem") + Self.kernelBufferMaximum("tcp_wmem")) + 2 * (512 << 10)
        #expect(afterThreeSeconds < 10 * perConnection, "about \(afterThreeSeconds / 10) bytes in flight per connection, bound \(perConnection)")
        #expect(lab.server.router.statistics.openConnections == 10)

        // Abrupt resets by the clients (SO_LINGER 0).
        for fd in clients { Self.reset(fd) }
        #expect(await eventually(10) { lab.server.router.statistics.openConnections == 0 && intercept.statistics.current.open == 0 },
                "router open \(lab.server.router.statistics.openConnections), intercept open \(intercept.statistics.current.open)")
        #expect(await eventually(10) { openFileDescriptors() <= baseline }, "fds \(openFileDescriptors()) > baseline \(baseline)")

        await intercept.stop()
        await lab.stop()
        try await firehose.close()
        try await group.shutdownGracefully()
    }

    @Test("a backend that resets mid-stream: the client's connection closes and nothing stays open")
    func backendReset() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let resetting = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(ResetAfterBytesHandler()) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let lab = try await RouterLab(group: group) { owner in
            RouteDefinition(name: "resetting", serviceCommonName: owner, host: "127.0.0.1", port: resetting.localAddress?.port ?? 0, domains: [Self.name])
        }
        let (intercept, book) = try await lab.intercept(for: lab.allowed, names: [Self.name])
        let address = try book.address(for: Self.name)
        try await Task.sleep(for: .milliseconds(200))
        let baseline = openFileDescriptors()
        for _ in 0..<20 {
            let received = try await ByteExchangeHandler.exchange(Array(repeating: 1, count: 1000), host: address.description, port: lab.port, group: group)
            #expect(received.count <= 1 << 20)
        }
        #expect(await eventually(10) { lab.server.router.statistics.openConnections == 0 && intercept.statistics.current.open == 0 })
        #expect(await eventually(10) { openFileDescriptors() <= baseline }, "fds \(openFileDescriptors()) > baseline \(baseline)")
        await intercept.stop()
        await lab.stop()
        try await resetting.close()
        try await group.shutdownGracefully()
    }

    @Test("revoking the endpoint closes its open tunnel; taking it off the zone refuses new ones")
    func revocationClosesTunnels() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let backend = try await TestBackend.echo(group: group)
        let lab = try await RouterLab(group: group) { owner in
            RouteDefinition(name: "echo", serviceCommonName: owner, host: "127.0.0.1", port: backend.localAddress?.port ?? 0, domains: [Self.name])
        }
        let (intercept, book) = try await lab.intercept(for: lab.allowed, names: [Self.name])
        let address = try book.address(for: Self.name)
        let fd = try Self.connectBlocking(address.description, lab.port)
        #expect(Self.roundTrip(fd, "ping") == "ping")
        #expect(lab.server.router.connections.count == 1)
        try lab.fixture.administration.revokeEndpoint("c-app")
        #expect(await eventually(3) { lab.server.router.connections.count == 0 })
        #expect(Self.readsEndOfStream(fd), "the application's connection stayed open after revocation")
        close(fd)
        await intercept.stop()
        await lab.stop()
        try await backend.close()
        try await group.shutdownGracefully()
    }

    @Test("reverse tunnel: the router never dials the backend; stopping the service agent fails new connections cleanly, restarting recovers")
    func reverseTunnel() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let backend = try await TestBackend.echo(group: group)
        let backendPort = backend.localAddress?.port ?? 0
        let lab = try await RouterLab(group: group, route: { owner in
            // The route's host is not an address the router could dial: only the agent knows the way.
            RouteDefinition(name: "echo", serviceCommonName: owner, host: "backend.invalid", port: 1, domains: [Self.name], dial: .reverse)
        }, adjust: { $0.backendConnectTimeoutSeconds = 2 })
        let (intercept, book) = try await lab.intercept(for: lab.allowed, names: [Self.name])
        let address = try book.address(for: Self.name)
        var logger = Logger(label: "test.reverse")
        logger.logLevel = ProcessInfo.processInfo.environment["ZT_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        let reverse = ReverseTunnelClient(dialer: try lab.dialer(for: lab.service), group: group, logger: logger)
        reverse.update(["echo": (host: "127.0.0.1", port: backendPort)])
        reverse.start()
        #expect(await eventually(5) { lab.server.router.reverseRoutesServed == ["echo"] })

        let payload = [UInt8].random(count: 1 << 20, seed: 7)
        let echoed = try await ByteExchangeHandler.exchange(payload, host: address.description, port: lab.port, group: group)
        #expect(echoed.sha256 == payload.sha256)
        #expect(reverse.status.dialBacks == 1)

        reverse.stop()
        #expect(await eventually(5) { lab.server.router.reverseRoutesServed.isEmpty })
        let started = Date()
        let refused = try await ByteExchangeHandler.exchange(Array("hello".utf8), host: address.description, port: lab.port, group: group)
        #expect(refused.isEmpty)
        #expect(Date().timeIntervalSince(started) < 2, "a connection with no service agent should fail at once")
        #expect((lab.server.router.statistics.services["echo"]?.backendFailures ?? 0) >= 1)

        let again = ReverseTunnelClient(dialer: try lab.dialer(for: lab.service), group: group, logger: logger)
        again.update(["echo": (host: "127.0.0.1", port: backendPort)])
        again.start()
        #expect(await eventually(5) { lab.server.router.reverseRoutesServed == ["echo"] })
        let recovered = try await ByteExchangeHandler.exchange(payload, host: address.description, port: lab.port, group: group)
        #expect(recovered.sha256 == payload.sha256)

        // A client endpoint cannot pose as the service agent.
        let impostor = ReverseTunnelClient(dialer: try lab.dialer(for: lab.allowed), group: group, logger: logger)
        impostor.update(["echo": (host: "127.0.0.1", port: backendPort)])
        impostor.start()
        try await Task.sleep(for: .milliseconds(500))
        #expect(impostor.status.served.isEmpty)
        #expect((lab.server.router.statistics.refusals["not_service_endpoint"] ?? 0) >= 1)
        impostor.stop()

        again.stop()
        await intercept.stop()
        await lab.stop()
        try await backend.close()
        try await group.shutdownGracefully()
    }

    // MARK: helpers

    /// A raw mutual-TLS connection to the tunnel listener: what does the client get back?
    static func rawTunnel(lab: RouterLab, client: TestPKI.Files, serverName: String, send: [UInt8]) async throws -> [UInt8] {
        let loop = lab.group.next()
        let channel: Channel
        do {
            channel = try await lab.dialer(for: client).connect(serverName: serverName, on: loop).get()
        } catch {
            return []  // refused during the handshake: nothing received either
        }
        let promise = loop.makePromise(of: [UInt8].self)
        try await channel.eventLoop.submit {
            let pending = try channel.pipeline.syncOperations.context(handlerType: PendingSpliceHandler.self)
            try channel.pipeline.syncOperations.addHandler(ByteExchangeHandler(payload: send, promise: promise), position: .after(pending.handler))
            (pending.handler as? PendingSpliceHandler)?.release(context: pending)
            channel.pipeline.fireChannelActive()
        }.get()
        return try await promise.futureResult.get()
    }

    static func connectBlocking(_ host: String, _ port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw POSIXErrorCode(rawValue: errno).map { POSIXError($0) } ?? POSIXError(.EIO)
        }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    /// The third number of /proc/sys/net/ipv4/tcp_rmem or tcp_wmem (the autotuning maximum).
    static func kernelBufferMaximum(_ name: String) -> Int {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/\(name)", encoding: .utf8)) ?? ""
        return text.split(whereSeparator: \.isWhitespace).last.flatMap { Int($0) } ?? 6 << 20
    }

    static func reset(_ fd: Int32) {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close(fd)
    }

    static func roundTrip(_ fd: Int32, _ text: String) -> String? {
        let bytes = Array(text.utf8)
        guard write(fd, bytes, bytes.count) == bytes.count else { return nil }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = read(fd, &buffer, 64)
        return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : nil
    }

    static func readsEndOfStream(_ fd: Int32) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 64)
        return read(fd, &buffer, 64) <= 0
    }
}

/// Sends 1 MiB, then resets the connection (SO_LINGER 0).
final class ResetAfterBytesHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        context.writeAndFlush(NIOAny(ByteBuffer(repeating: 7, count: 1 << 20))).whenComplete { _ in
            guard let provider = channel as? SocketOptionProvider else {
                channel.close(promise: nil)
                return
            }
            provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
