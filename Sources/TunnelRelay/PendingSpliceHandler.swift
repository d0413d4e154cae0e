import NIOCore

/// Holds what a connection sends while its peer is being dialed, then hands over to a
/// ``SpliceHandler``: the held bytes go to the peer first, in order.
///
/// Reads stay on (a client may send its first bytes at once) but are bounded: past
/// `maximumHeldBytes` reading pauses until the hand-over, so a fast sender waits instead of
/// filling memory.
public final class PendingSpliceHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    private var readPaused = false

    private var held: [ByteBuffer] = []
    private var heldBytes = 0
    private var inputClosed = false
    private let maximumHeldBytes: Int

    public init(maximumHeldBytes: Int = 256 * 1024) {
        self.maximumHeldBytes = maximumHeldBytes
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = self.unwrapInboundIn(data)
        self.heldBytes += buffer.readableBytes
        self.held.append(buffer)
    }

    public func read(context: ChannelHandlerContext) {
        if self.heldBytes >= self.maximumHeldBytes {
            self.readPaused = true
        } else {
            context.read()
        }
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            self.inputClosed = true
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    public func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    /// Sends what was held to `peer`, installs the splice on this channel (and on the peer unless
    /// `installOnPeer` is false, for a peer that hands over its own held bytes the same way) and
    /// removes itself. Must run on this handler's event loop.
    public func handOver(context: ChannelHandlerContext, to peer: Channel, session: SpliceSession, side: SpliceSession.Side = .client, installOnPeer: Bool = true) throws {
        for buffer in self.held { peer.write(buffer, promise: nil) }
        if !self.held.isEmpty { peer.flush() }
        session.count(self.heldBytes, readOn: side)
        self.held = []
        let own = SpliceHandler(peer: peer, session: session, side: side)
        try context.pipeline.syncOperations.addHandler(own, position: .after(self))
        let other: SpliceSession.Side = side == .client ? .backend : .client
        let channel = context.channel
        if installOnPeer { peer.eventLoop.execute {
            do {
                try peer.pipeline.syncOperations.addHandler(SpliceHandler(peer: channel, session: session, side: other))
            } catch {
                peer.close(promise: nil)
            }
        } }
        if self.inputClosed {
            peer.close(mode: .output, promise: nil)
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        if self.readPaused {
            self.readPaused = false
            channel.read()
        }
    }

    /// Passes what was held to the handlers after this one (a protocol that is not a splice
    /// after all) and removes itself. Must run on this handler's event loop.
    public func release(context: ChannelHandlerContext) {
        let held = self.held
        self.held = []
        for buffer in held { context.fireChannelRead(self.wrapInboundOut(buffer)) }
        if !held.isEmpty { context.fireChannelReadComplete() }
        if self.inputClosed { context.fireUserInboundEventTriggered(ChannelEvent.inputClosed) }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        if self.readPaused {
            self.readPaused = false
            context.channel.read()
        }
    }

    /// Joins two channels that each hold bytes in a ``PendingSpliceHandler``: each side's held
    /// bytes go to the other first, then the splice runs both ways.
    public static func join(_ client: Channel, _ backend: Channel, session: SpliceSession) -> EventLoopFuture<Void> {
        func handOver(_ channel: Channel, to peer: Channel, side: SpliceSession.Side) -> EventLoopFuture<Void> {
            channel.eventLoop.submit {
                let context = try channel.pipeline.syncOperations.context(handlerType: PendingSpliceHandler.self)
                guard let handler = context.handler as? PendingSpliceHandler else { throw ChannelPipelineError.notFound }
                try handler.handOver(context: context, to: peer, session: session, side: side, installOnPeer: false)
            }
        }
        return handOver(client, to: backend, side: .client).and(handOver(backend, to: client, side: .backend)).map { _ in () }
    }
}
