import DNSWire
import NIOCore
import NIOExtras
import NIOPosix

/// A small DNS client for tests: UDP, and TCP with several queries pipelined on one connection.
public struct TestDNSClient: Sendable {
    public let group: EventLoopGroup

    public init(group: EventLoopGroup) {
        self.group = group
    }

    /// Sends `bytes` over UDP and returns the first datagram that comes back (or nil on timeout).
    public func udp(_ bytes: [UInt8], to server: SocketAddress, timeout: TimeAmount = .seconds(5)) async throws -> [UInt8]? {
        let promise = self.group.any().makePromise(of: [UInt8]?.self)
        let channel = try await DatagramBootstrap(group: self.group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(FirstDatagramHandler(promise: promise))
                }
            }
            .bind(host: server.protocol == .inet6 ? "::1" : "127.0.0.1", port: 0)
            .get()
        let timer = channel.eventLoop.scheduleTask(in: timeout) { promise.succeed(nil) }
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        try await channel.writeAndFlush(AddressedEnvelope(remoteAddress: server, data: buffer))
        let answer = try await promise.futureResult.get()
        timer.cancel()
        try? await channel.close()
        return answer
    }

    /// A query message over UDP, parsed.
    public func udp(_ query: DNSMessage, to server: SocketAddress, timeout: TimeAmount = .seconds(5)) async throws -> DNSMessage? {
        guard let bytes = try await self.udp(try query.serialized(), to: server, timeout: timeout) else { return nil }
        return try DNSMessage(parsing: bytes)
    }

    /// Opens one TCP connection, writes every query (each with a length prefix) at once, and
    /// collects `expecting` answers in arrival order (nil entries never arrive: timeout).
    public func tcp(_ queries: [[UInt8]], to server: SocketAddress, expecting: Int? = nil, timeout: TimeAmount = .seconds(5)) async throws -> [[UInt8]] {
        let want = expecting ?? queries.count
        let collector = FrameCollectorHandler(expecting: want, promise: self.group.any().makePromise(of: [[UInt8]].self))
        let channel = try await ClientBootstrap(group: self.group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(LengthFieldBasedFrameDecoder(lengthFieldBitLength: .twoBytes)),
                        collector,
                    ])
                }
            }
            .connect(to: server)
            .get()
        let timer = channel.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        var buffer = channel.allocator.buffer(capacity: queries.reduce(0) { $0 + $1.count + 2 })
        for query in queries {
            buffer.writeInteger(UInt16(query.count))
            buffer.writeBytes(query)
        }
        try await channel.writeAndFlush(buffer)
        let answers = try await collector.promise.futureResult.get()
        timer.cancel()
        try? await channel.close()
        return answers
    }

    /// Query messages over one TCP connection, answers parsed and returned in arrival order.
    public func tcp(_ queries: [DNSMessage], to server: SocketAddress, timeout: TimeAmount = .seconds(5)) async throws -> [DNSMessage] {
        let answers = try await self.tcp(try queries.map { try $0.serialized() }, to: server, timeout: timeout)
        return try answers.map { try DNSMessage(parsing: $0) }
    }
}

/// Completes with the first datagram received.
final class FirstDatagramHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let promise: EventLoopPromise<[UInt8]?>

    init(promise: EventLoopPromise<[UInt8]?>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.promise.succeed(Array(self.unwrapInboundIn(data).data.readableBytesView))
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.promise.succeed(nil)
    }
}

/// Collects length-framed answers until it has `expecting` of them or the connection closes.
final class FrameCollectorHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    let promise: EventLoopPromise<[[UInt8]]>
    private let expecting: Int
    private var frames: [[UInt8]] = []  // touched only on the channel's event loop

    init(expecting: Int, promise: EventLoopPromise<[[UInt8]]>) {
        self.expecting = expecting
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.frames.append(Array(self.unwrapInboundIn(data).readableBytesView))
        if self.frames.count >= self.expecting {
            self.promise.succeed(self.frames)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.promise.succeed(self.frames)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
