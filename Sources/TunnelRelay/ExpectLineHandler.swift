import NIOCore

/// Waits for one expected line (e.g. "OK") at the start of a stream, then passes every later
/// byte on and removes itself. Anything else, or a line longer than 128 bytes, closes the
/// connection and fails `promise`.
public final class ExpectLineHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer

    private let expected: String
    private let promise: EventLoopPromise<Void>
    private var line: [UInt8] = []
    private var done = false

    public init(expected: String, promise: EventLoopPromise<Void>) {
        self.expected = expected
        self.promise = promise
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.done else {
            context.fireChannelRead(data)
            return
        }
        var buffer = self.unwrapInboundIn(data)
        let view = buffer.readableBytesView
        guard let newline = view.firstIndex(of: UInt8(ascii: "\n")) else {
            self.line += view
            if self.line.count > 128 { self.fail(context: context) }
            return
        }
        self.line += view[view.startIndex..<newline]
        buffer.moveReaderIndex(forwardBy: newline - view.startIndex + 1)
        guard String(decoding: self.line, as: UTF8.self) == self.expected else {
            self.fail(context: context)
            return
        }
        self.done = true
        if buffer.readableBytes > 0 { context.fireChannelRead(self.wrapInboundOut(buffer)) }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        self.promise.succeed(())
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        if !self.done {
            self.done = true
            self.promise.fail(ChannelError.eof)
        }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        if !self.done {
            self.done = true
            self.promise.fail(ChannelError.eof)
        }
        context.fireChannelInactive()
    }

    public func errorCaught(context: ChannelHandlerContext, error: Error) {
        self.fail(context: context)
    }

    private func fail(context: ChannelHandlerContext) {
        guard !self.done else { return }
        self.done = true
        self.promise.fail(ChannelError.inappropriateOperationForState)
        context.close(promise: nil)
    }
}
