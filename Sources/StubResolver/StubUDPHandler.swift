import NIOCore

/// Reads queries from a UDP socket and writes each reply back to its sender.
final class StubUDPHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let processor: StubQueryProcessor

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
            context.writeAndFlush(self.wrapOutboundOut(AddressedEnvelope(remoteAddress: sender, data: buffer)), promise: nil)
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

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A failed send to one client (ICMP unreachable, buffer full) must not close the listener.
    }
}
