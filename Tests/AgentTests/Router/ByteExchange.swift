import Crypto
import NIOCore
import NIOPosix

/// A client that sends `payload`, closes its output, and collects everything it receives
/// until the other side closes; the result is what it received.
final class ByteExchangeHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let payload: [UInt8]
    private let promise: EventLoopPromise<[UInt8]>
    private var received: [UInt8] = []

    init(payload: [UInt8], promise: EventLoopPromise<[UInt8]>) {
        self.payload = payload
        self.promise = promise
    }

    func channelActive(context: ChannelHandlerContext) {
        var offset = 0
        while offset < self.payload.count {
            let end = min(offset + 16_384, self.payload.count)
            context.write(NIOAny(ByteBuffer(bytes: self.payload[offset..<end])), promise: nil)
            offset = end
        }
        context.flush()
        context.close(mode: .output, promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.received += self.unwrapInboundIn(data).readableBytesView
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.promise.succeed(self.received)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    /// Connects to `host:port`, exchanges `payload`, returns what came back.
    static func exchange(_ payload: [UInt8], host: String, port: Int, group: EventLoopGroup) async throws -> [UInt8] {
        let loop = group.next()
        let promise = loop.makePromise(of: [UInt8].self)
        _ = try await ClientBootstrap(group: loop)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteExchangeHandler(payload: payload, promise: promise))
                }
            }
            .connect(host: host, port: port).get()
        return try await promise.futureResult.get()
    }
}

extension Array where Element == UInt8 {
    /// SHA-256, hex.
    var sha256: String { SHA256.hash(data: self).map { String(format: "%02x", $0) }.joined() }

    static func random(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed | 1
        return (0..<count).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
    }
}
