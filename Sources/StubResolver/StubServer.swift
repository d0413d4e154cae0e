import DNSTransport
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOExtras
import NIOPosix
import ServiceLifecycle
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The loopback DNS stub: UDP and TCP listeners on each configured address, all feeding one
/// ``StubQueryProcessor``.
///
/// UDP is served by one socket per event loop (SO_REUSEPORT) with batched reads. Use
/// ``start()`` and ``stop()`` directly (tests), or ``run()`` as a ServiceLifecycle service.
public final class StubServer: Service, Sendable {
    private let configuration: StubConfiguration
    private let processor: StubQueryProcessor
    private let group: EventLoopGroup
    private let logger: Logger
    private let channels = NIOLockedValueBox<[Channel]>([])
    private let openTCPConnections = Atomic<Int>(0)

    public init(configuration: StubConfiguration, processor: StubQueryProcessor, group: EventLoopGroup, logger: Logger = Logger(label: "ztagent.stub")) {
        self.configuration = configuration
        self.processor = processor
        self.group = group
        self.logger = logger
    }

    /// TCP connections open now.
    public var openTCPConnectionCount: Int { self.openTCPConnections.load(ordering: .relaxed) }

    /// Whether an address may be bound without the explicit non-loopback permission.
    public static func isLoopback(_ address: SocketAddress) -> Bool {
        guard let ip = address.ipAddress else { return false }
        switch address.protocol {
        case .inet: return ip.hasPrefix("127.")
        case .inet6: return ip == "::1" || ip.hasPrefix("::ffff:127.")
        default: return false
        }
    }

    /// Binds every listener. Returns the bound addresses, UDP then TCP for each configured address
    /// (so port 0 can be used in tests).
    @discardableResult
    public func start() async throws -> [(udp: SocketAddress, tcp: SocketAddress)] {
        guard !self.configuration.listenAddresses.isEmpty else { throw StubServerError.noListenAddress }
        for address in self.configuration.listenAddresses where !self.configuration.allowNonLoopback && !Self.isLoopback(address) {
            throw StubServerError.nonLoopbackAddress("\(address)")
        }
        var bound: [(udp: SocketAddress, tcp: SocketAddress)] = []
        do {
            for address in self.configuration.listenAddresses {
                let tcp = try await self.bindTCP(address)
                // Bind UDP on the port TCP got, so both share one port number when 0 was asked for.
                var udpAddress = address
                if let port = tcp.localAddress?.port { udpAddress.port = port }
                let udpChannels = try await self.bindUDP(udpAddress)
                guard let udpLocal = udpChannels.first?.localAddress, let tcpLocal = tcp.localAddress else {
                    throw StubServerError.bindFailed(address: "\(address)", reason: "no local address")
                }
                bound.append((udpLocal, tcpLocal))
                self.logger.info("stub listening", metadata: ["udp": "\(udpLocal)", "tcp": "\(tcpLocal)"])
            }
        } catch let error as StubServerError {
            await self.stop()
            throw error
        } catch {
            await self.stop()
            throw StubServerError.bindFailed(address: "\(self.configuration.listenAddresses)", reason: "\(error)")
        }
        return bound
    }

    /// Closes every listener.
    public func stop() async {
        let channels = self.channels.withLockedValue { channels -> [Channel] in
            defer { channels.removeAll() }
            return channels
        }
        for channel in channels {
            try? await channel.close()
        }
    }

    /// Serves until graceful shutdown.
    public func run() async throws {
        try await self.start()
        try? await gracefulShutdown()
        await self.stop()
    }

    private func bindUDP(_ address: SocketAddress) async throws -> [Channel] {
        let processor = self.processor
        var bound: [Channel] = []
        // One socket per event loop, sharing the port through SO_REUSEPORT.
        var loops: [EventLoop] = []
        for loop in self.group.makeIterator() { loops.append(loop) }
        var target = address
        // The port must be ours alone. SO_REUSEPORT lets our sockets share it, but would also let
        // us join a socket another program holds with the same option: so first bind once
        // without any reuse option, which fails when anybody holds the port, then let go.
        let probe = try await DatagramBootstrap(group: self.group).bind(to: target).get()
        if let port = probe.localAddress?.port { target.port = port }
        try await probe.close()
        for loop in loops {
            let channel = try await DatagramBootstrap(group: loop)
                .channelOption(ChannelOptions.socket(SocketOptionLevel(SOL_SOCKET), SO_REUSEPORT), value: 1)
                .channelOption(.datagramVectorReadMessageCount, value: 32)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_535))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(StubUDPHandler(processor: processor))
                    }
                }
                .bind(to: target)
                .get()
            bound.append(channel)
            self.channels.withLockedValue { $0.append(channel) }
            if let port = channel.localAddress?.port { target.port = port }
        }
        return bound
    }

    private func bindTCP(_ address: SocketAddress) async throws -> Channel {
        let processor = self.processor
        let configuration = self.configuration
        let statistics = self.processor.statistics
        let channel = try await ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                let open = self.openTCPConnections.wrappingAdd(1, ordering: .relaxed).newValue
                channel.closeFuture.whenComplete { _ in self.openTCPConnections.wrappingSubtract(1, ordering: .relaxed) }
                if open > configuration.maximumTCPConnections {
                    statistics.tcpConnectionsRefused.wrappingAdd(1, ordering: .relaxed)
                    return channel.close()
                }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(LengthFieldBasedFrameDecoder(lengthFieldBitLength: .twoBytes)),
                        LengthFieldPrepender(lengthFieldBitLength: .twoBytes),
                        DNSStreamServingHandler(maximumInFlight: configuration.maximumQueriesPerTCPConnection, idleTimeout: configuration.tcpIdleTimeout) { bytes, loop in
                            processor.streamReply(bytes, on: loop)
                        },
                    ])
                }
            }
            .bind(to: address)
            .get()
        self.channels.withLockedValue { $0.append(channel) }
        return channel
    }
}
