import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Backends for router tests, on 127.0.0.1:0.
enum TestBackend {
    /// Echoes every byte back, honouring half-close (end of input closes after the echo).
    static func echo(group: EventLoopGroup) async throws -> Channel {
        try await ServerBootstrap(group: group)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(EchoBackendHandler()) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    /// Writes `total` bytes to each connection as fast as the connection takes them, counting
    /// what it managed to hand to the kernel in `written`.
    static func firehose(group: EventLoopGroup, total: Int, written: NIOLockedValueBox<Int>) async throws -> Channel {
        try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(FirehoseHandler(total: total, written: written))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }
}

final class EchoBackendHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            context.writeAndFlush(NIOAny(ByteBuffer())).whenComplete { _ in context.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

/// Sends chunks while the channel is writable, up to `total`.
final class FirehoseHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let total: Int
    private let written: NIOLockedValueBox<Int>
    private var sent = 0
    private static let chunk = ByteBuffer(repeating: 0x5A, count: 64 * 1024)

    init(total: Int, written: NIOLockedValueBox<Int>) {
        self.total = total
        self.written = written
    }

    func channelActive(context: ChannelHandlerContext) {
        self.pump(context: context)
        context.fireChannelActive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.pump(context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    private func pump(context: ChannelHandlerContext) {
        let written = self.written
        while context.channel.isWritable, self.sent < self.total {
            let size = Self.chunk.readableBytes
            self.sent += size
            context.writeAndFlush(NIOAny(Self.chunk)).whenSuccess { written.withLockedValue { $0 += size } }
        }
    }
}
