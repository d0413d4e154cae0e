import NIOCore

/// Serves DNS over one TCP (or TLS) connection (RFC 7766, RFC 7858): many queries at once,
/// answers written as they complete (in any order), a cap on queries in flight, backpressure and
/// an idle timeout. How a query is answered is the `answer` closure's business (the agent's stub,
/// the server's DoT listener).
///
/// The idle timeout counts complete queries, not bytes: a client that trickles a frame one byte
/// at a time (slowloris) is closed as if it sent nothing. A client that stops reading its
/// answers stops being read from (the socket's send buffer is the only queue), so it cannot
/// make the server buffer answers without bound.
///
/// Sits after a 2-byte length frame decoder and before a length prepender.
public final class DNSStreamServingHandler: ChannelDuplexHandler {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private let answerQuery: ([UInt8], EventLoop) -> DNSStreamReply
    private let maximumInFlight: Int
    private let idleTimeout: TimeAmount
    private var inFlight = 0
    private var readPaused = false
    /// Queries read but not answered yet (the cap was reached, or the client is not reading).
    private var waiting = CircularBuffer<ByteBuffer>()
    /// When the last complete query arrived (or the connection opened).
    private var lastQueryAt = NIODeadline.uptimeNanoseconds(0)
    private var idleCheck: Scheduled<Void>?

    /// - Parameters:
    ///   - maximumInFlight: queries answered later (upstream) at once; reading stops at the cap.
    ///   - idleTimeout: the connection closes this long after the last complete query with
    ///     nothing in flight.
    ///   - answer: the reply to one query's bytes, called on the connection's event loop.
    public init(maximumInFlight: Int, idleTimeout: TimeAmount, answer: @escaping ([UInt8], EventLoop) -> DNSStreamReply) {
        self.answerQuery = answer
        self.maximumInFlight = max(1, maximumInFlight)
        self.idleTimeout = idleTimeout
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        self.lastQueryAt = context.eventLoop.now
        if context.channel.isActive { self.scheduleIdleCheck(context: context, at: self.lastQueryAt + self.idleTimeout) }
    }

    public func channelActive(context: ChannelHandlerContext) {
        if self.idleCheck == nil {
            self.lastQueryAt = context.eventLoop.now
            self.scheduleIdleCheck(context: context, at: self.lastQueryAt + self.idleTimeout)
        }
        context.fireChannelActive()
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
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
            if handler.inFlight == 0 && due <= context.eventLoop.now {
                context.close(promise: nil)
            } else {
                handler.scheduleIdleCheck(context: context, at: max(due, context.eventLoop.now + .nanoseconds(handler.idleTimeout.nanoseconds / 4)))
            }
        }
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.lastQueryAt = context.eventLoop.now
        let frame = self.unwrapInboundIn(data)
        // One read can hold many frames: those that arrive while answers cannot be written (or
        // the cap is reached) wait here as queries (small), not as answers (large); reading
        // has stopped meanwhile, so this queue is bounded by one read's bytes.
        if self.mayAnswer(context: context) && self.waiting.isEmpty {
            self.answer(frame, context: context)
        } else {
            self.waiting.append(frame)
        }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        self.waiting.removeAll()
        context.fireChannelInactive()
    }

    public func read(context: ChannelHandlerContext) {
        // Backpressure: stop reading while the connection has its fill of queries in flight, or
        // while the client is not reading what we already wrote.
        if !self.mayAnswer(context: context) || !self.waiting.isEmpty {
            self.readPaused = true
            return
        }
        context.read()
    }

    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.resume(context: context)
        context.fireChannelWritabilityChanged()
    }

    private func mayAnswer(context: ChannelHandlerContext) -> Bool {
        self.inFlight < self.maximumInFlight && context.channel.isWritable
    }

    private func answer(_ frame: ByteBuffer, context: ChannelHandlerContext) {
        switch self.answerQuery(Array(frame.readableBytesView), context.eventLoop) {
        case .now(let reply):
            if let reply { self.send(reply, context: context) }
        case .later(let future):
            self.inFlight += 1
            future.hop(to: context.eventLoop).assumeIsolated().whenComplete { [self] result in
                self.inFlight -= 1
                if case .success(let reply?) = result, context.channel.isActive {
                    self.send(reply, context: context)
                }
                self.lastQueryAt = context.eventLoop.now
                self.resume(context: context)
            }
        }
    }

    /// Answers waiting queries while answers can be written, then reads again if it had stopped.
    private func resume(context: ChannelHandlerContext) {
        while context.channel.isActive, self.mayAnswer(context: context), let frame = self.waiting.popFirst() {
            self.lastQueryAt = context.eventLoop.now
            self.answer(frame, context: context)
        }
        if self.readPaused, self.waiting.isEmpty, self.mayAnswer(context: context) {
            self.readPaused = false
            context.read()
        }
    }

    public func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Oversized or broken framing, resets: this connection ends, the listener goes on.
        context.close(promise: nil)
    }

    private func send(_ reply: [UInt8], context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: reply.count)
        buffer.writeBytes(reply)
        context.writeAndFlush(self.wrapOutboundOut(buffer), promise: nil)
    }
}
