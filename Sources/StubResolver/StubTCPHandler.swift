import NIOCore

/// Serves DNS over one TCP connection (RFC 7766): many queries at once, answers written as they
/// complete (in any order), a cap on queries in flight, and an idle timeout.
///
/// The idle timeout counts complete queries, not bytes: a client that trickles a frame one byte
/// at a time (slowloris) is closed as if it sent nothing. A client that stops reading its
/// answers stops being read from (the socket's send buffer is the only queue), so it cannot
/// make the stub buffer answers without bound.
///
/// Sits after a 2-byte length frame decoder and before a length prepender.
final class StubTCPHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let processor: StubQueryProcessor
    private let maximumInFlight: Int
    private let idleTimeout: TimeAmount
    private var inFlight = 0
    private var readPaused = false
    /// When the last complete query arrived (or the connection opened).
    private var lastQueryAt = NIODeadline.now()
    private var idleCheck: Scheduled<Void>?

    init(processor: StubQueryProcessor, maximumInFlight: Int, idleTimeout: TimeAmount) {
        self.processor = processor
        self.maximumInFlight = max(1, maximumInFlight)
        self.idleTimeout = idleTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.lastQueryAt = .now()
        if context.channel.isActive { self.scheduleIdleCheck(context: context, at: self.lastQueryAt + self.idleTimeout) }
    }

    func channelActive(context: ChannelHandlerContext) {
        if self.idleCheck == nil { self.scheduleIdleCheck(context: context, at: .now() + self.idleTimeout) }
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.idleCheck?.cancel()
        self.idleCheck = nil
    }

    /// Closes the connection once `idleTimeout` has passed since the last complete query with
    /// nothing in flight; otherwise looks again when that time has come.
    private func scheduleIdleCheck(context: ChannelHandlerContext, at deadline: NIODeadline) {
        self.idleCheck?.cancel()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        self.idleCheck = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = loopBound.value
            handler.idleCheck = nil
            let due = handler.lastQueryAt + handler.idleTimeout
            if handler.inFlight == 0 && due <= .now() {
                context.close(promise: nil)
            } else {
                handler.scheduleIdleCheck(context: context, at: max(due, .now() + .nanoseconds(handler.idleTimeout.nanoseconds / 4)))
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.lastQueryAt = .now()
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
                self.lastQueryAt = .now()
                self.resumeReadingIfPossible(context: context)
            }
        }
    }

    func read(context: ChannelHandlerContext) {
        // Backpressure: stop reading while the connection has its fill of queries in flight, or
        // while the client is not reading what we already wrote.
        if self.inFlight >= self.maximumInFlight || !context.channel.isWritable {
            self.readPaused = true
            return
        }
        context.read()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.resumeReadingIfPossible(context: context)
        context.fireChannelWritabilityChanged()
    }

    private func resumeReadingIfPossible(context: ChannelHandlerContext) {
        if self.readPaused, self.inFlight < self.maximumInFlight, context.channel.isWritable {
            self.readPaused = false
            context.read()
        }
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
