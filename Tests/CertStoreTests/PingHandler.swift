import NIOCore

/// Client side of the handshake test: sends "ping" once active and succeeds `reply` with the
/// echo; fails it on any error or if the connection closes first.
final class PingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct ClosedEarly: Error {}

    private let reply: EventLoopPromise<String>
    private var received = ""

    init(reply: EventLoopPromise<String>) {
        self.reply = reply
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: "ping")), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        received += buffer.readString(length: buffer.readableBytes) ?? ""
        if received.count >= 4 {
            reply.succeed(received)
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        reply.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        reply.fail(ClosedEarly())
        context.fireChannelInactive()
    }
}
