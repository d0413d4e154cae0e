import DNSTransport
import NIOCore

/// Plain UDP listener (tests of the forwarder only): no identity, so private zones stay hidden.
final class PlainUDPHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let resolver: ServerQueryResolver

    init(resolver: ServerQueryResolver) {
        self.resolver = resolver
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = self.unwrapInboundIn(data)
        let sender = envelope.remoteAddress
        let channel = context.channel
        let write: @Sendable ([UInt8]?) -> Void = { reply in
            guard let reply else { return }
            var buffer = channel.allocator.buffer(capacity: reply.count)
            buffer.writeBytes(reply)
            channel.writeAndFlush(AddressedEnvelope(remoteAddress: sender, data: buffer), promise: nil)
        }
        switch self.resolver.resolve(Array(envelope.data.readableBytesView), commonName: nil, transport: .udp, on: context.eventLoop) {
        case .now(let reply): write(reply)
        case .later(let future): future.whenSuccess(write)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {}
}

/// Plain TCP connection (tests of the forwarder only), after length framing.
final class PlainTCPHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let resolver: ServerQueryResolver

    init(resolver: ServerQueryResolver) {
        self.resolver = resolver
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = self.unwrapInboundIn(data)
        let channel = context.channel
        let write: @Sendable ([UInt8]?) -> Void = { reply in
            guard let reply else { return }
            var buffer = channel.allocator.buffer(capacity: reply.count)
            buffer.writeBytes(reply)
            channel.writeAndFlush(buffer, promise: nil)
        }
        switch self.resolver.resolve(Array(frame.readableBytesView), commonName: nil, transport: .tcp, on: context.eventLoop) {
        case .now(let reply): write(reply)
        case .later(let future): future.whenSuccess(write)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
