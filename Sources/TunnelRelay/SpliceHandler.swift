import NIOCore

/// Relays bytes from its channel to a peer channel, which may live on another event loop.
///
/// - Backpressure: while the peer is not writable, this channel's reads are held back (its
///   `read` calls are deferred), so a slow reader on one side stops reading on the other instead
///   of growing a buffer.
/// - Half-close: end of input on this channel shuts the peer's output (needs
///   `ChannelOptions.allowRemoteHalfClosure`); when both directions are done, both close.
/// - Close and errors: either channel closing closes the other.
///
/// Install one on each channel, each pointing at the other (see ``SpliceHandler/splice(_:_:session:)``).
public final class SpliceHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    /// Told to the channel whose peer became writable again.
    struct PeerWritable: Sendable {}
    /// Told to the channel whose peer's input ended (so this side's output can be shut).
    struct PeerInputClosed: Sendable {}

    private let peer: Channel
    private let session: SpliceSession
    private let side: SpliceSession.Side
    private var pendingRead = false
    private var inputClosed = false
    private var outputClosed = false
    private var unflushed = false
    private var failed = false

    init(peer: Channel, session: SpliceSession, side: SpliceSession.Side) {
        self.peer = peer
        self.session = session
        self.side = side
    }

    /// Joins two active channels. Both should have `autoRead` on; bytes either reads from now on
    /// go to the other. Returns when both handlers are in place.
    public static func splice(_ client: Channel, _ backend: Channel, session: SpliceSession) -> EventLoopFuture<Void> {
        let clientAdded = client.eventLoop.submit {
            try client.pipeline.syncOperations.addHandler(SpliceHandler(peer: backend, session: session, side: .client))
        }
        let backendAdded = backend.eventLoop.submit {
            try backend.pipeline.syncOperations.addHandler(SpliceHandler(peer: client, session: session, side: .backend))
        }
        return clientAdded.and(backendAdded).map { _ in () }
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        if !context.channel.isActive {
            self.session.channelClosed()
            self.peer.close(promise: nil)
            return
        }
        context.channel.closeFuture.whenComplete { [session] _ in
            session.channelClosed()
        }
        // A channel dialed with autoRead off (so nothing it receives before the splice is lost)
        // starts reading now.
        if let options = context.channel.syncOptions, (try? options.getOption(ChannelOptions.autoRead)) == false {
            try? options.setOption(ChannelOptions.autoRead, value: true)
            context.read()
        }
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = self.unwrapInboundIn(data)
        self.session.count(buffer.readableBytes, readOn: self.side)
        self.peer.write(buffer, promise: nil)
        self.unflushed = true
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        if self.unflushed {
            self.unflushed = false
            self.peer.flush()
        }
    }

    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            self.peer.pipeline.fireUserInboundEventTriggered(PeerWritable())
        }
        context.fireChannelWritabilityChanged()
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is PeerWritable:
            if self.pendingRead {
                self.pendingRead = false
                context.read()
            }
        case is PeerInputClosed:
            self.outputClosed = true
            if self.inputClosed {
                context.close(promise: nil)
            } else {
                context.close(mode: .output).whenFailure { _ in context.close(promise: nil) }
            }
        case let channelEvent as ChannelEvent where channelEvent == .inputClosed:
            self.inputClosed = true
            if self.unflushed {
                self.unflushed = false
                self.peer.flush()
            }
            self.peer.pipeline.fireUserInboundEventTriggered(PeerInputClosed())
            if self.outputClosed { context.close(promise: nil) }
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    /// This channel is gone. After a clean close the peer first delivers what it still holds
    /// (bounded by ``drainTimeout``); after a reset or error it is closed at once.
    public func channelInactive(context: ChannelHandlerContext) {
        let peer = self.peer
        if !self.failed, peer.isActive {
            let forced = peer.eventLoop.scheduleTask(in: Self.drainTimeout) { peer.close(promise: nil) }
            peer.writeAndFlush(ByteBuffer()).whenComplete { _ in
                forced.cancel()
                peer.close(promise: nil)
            }
        } else {
            peer.close(promise: nil)
        }
        context.fireChannelInactive()
    }

    /// How long a peer may take to deliver what it holds after the other side ended cleanly.
    public static let drainTimeout: TimeAmount = .seconds(30)

    public func read(context: ChannelHandlerContext) {
        if self.peer.isWritable {
            context.read()
        } else {
            self.pendingRead = true
        }
    }

    public func errorCaught(context: ChannelHandlerContext, error: Error) {
        self.failed = true
        context.close(promise: nil)
    }
}
