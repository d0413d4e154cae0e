import NIOCore

/// Reads queries from a UDP socket and writes each reply back to its sender.
///
/// Replies answered at once (cache hits, errors) are written without a flush and flushed when
/// the socket's read batch ends (`channelReadComplete`): one `sendmmsg` carries the replies to a
/// whole `recvmmsg` batch instead of one `sendmsg` each.
final class StubUDPHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let processor: StubQueryProcessor
    private var unflushed = false

    init(processor: StubQueryProcessor) {
        self.processor = processor
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = self.unwrapInboundIn(data)
        let bytes = Array(envelope.data.readableBytesView)
        let sender = envelope.remoteAddress
        switch self.processor.process(bytes, transport: .udp, on: context.eventLoop) {
        case .now(let reply):
            guard let reply else { return }
            var buffer = context.channel.allocator.buffer(capacity: reply.count)
            buffer.writeBytes(reply)
            context.write(self.wrapOutboundOut(AddressedEnvelope(remoteAddress: sender, data: buffer)), promise: nil)
            self.unflushed = true
        case .later(let future):
            let channel = context.channel
            future.whenSuccess { reply in
                guard let reply else { return }
                var buffer = channel.allocator.buffer(capacity: reply.count)
                buffer.writeBytes(reply)
                channel.writeAndFlush(AddressedEnvelope(remoteAddress: sender, data: buffer), promise: nil)
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if self.unflushed {
            self.unflushed = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A failed send to one client (ICMP unreachable, buffer full) must not close the listener.
    }
}
