import NIOCore

/// Serves DNS over one TCP connection (RFC 7766): many queries at once, answers written as they
/// complete (in any order), a cap on queries in flight, and an idle timeout.
///
/// Sits after a 2-byte length frame decoder and before a length prepender.
final class StubTCPHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let processor: StubQueryProcessor
    private let maximumInFlight: Int
    private var inFlight = 0
    private var readPaused = false

    init(processor: StubQueryProcessor, maximumInFlight: Int) {
        self.processor = processor
        self.maximumInFlight = max(1, maximumInFlight)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = self.unwrapInboundIn(data)
        let bytes = Array(frame.readableBytesView)
        switch self.processor.process(bytes, transport: .tcp, on: context.eventLoop) {
        case .now(let reply):
            if let reply { self.send(reply, context: context) }
        case .later(let future):
            self.inFlight += 1
            future.hop(to: context.eventLoop).assumeIsolated().whenComplete { [self] result in
                self.inFlight -= 1
                if case .success(let reply?) = result, context.channel.isActive {
                    self.send(reply, context: context)
                }
                if self.readPaused, self.inFlight < self.maximumInFlight {
                    self.readPaused = false
                    context.read()
                }
            }
        }
    }

    func read(context: ChannelHandlerContext) {
        // Backpressure: stop reading while the connection has its fill of queries in flight.
        if self.inFlight >= self.maximumInFlight {
            self.readPaused = true
            return
        }
        context.read()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            if self.inFlight == 0 {
                context.close(promise: nil)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Oversized or broken framing, resets: this connection ends, the listener goes on.
        context.close(promise: nil)
    }

    private func send(_ reply: [UInt8], context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: reply.count)
        buffer.writeBytes(reply)
        context.writeAndFlush(self.wrapOutboundOut(buffer), promise: nil)
    }
}
