import NIOCore

/// Waits on a private UDP socket for the one answer to one query from one server.
///
/// Datagrams from any other address, or that do not carry the query's ID, are ignored
/// (RFC 5452: a random source port and ID per query make spoofing hard).
final class UDPQueryHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let server: SocketAddress
    private let id: UInt16
    private let completion: CompletionOnce<[UInt8]>

    init(server: SocketAddress, id: UInt16, completion: CompletionOnce<[UInt8]>) {
        self.server = server
        self.id = id
        self.completion = completion
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = self.unwrapInboundIn(data)
        guard envelope.remoteAddress == self.server,
              envelope.data.readableBytes >= 12,
              envelope.data.getInteger(at: envelope.data.readerIndex, as: UInt16.self) == self.id
        else { return }
        self.completion.succeed(Array(envelope.data.readableBytesView))
        context.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // ICMP port unreachable and the like: the server is not there.
        self.completion.fail(DNSUpstreamError.connectFailed("\(error)"))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.completion.fail(DNSUpstreamError.connectionClosed)
        context.fireChannelInactive()
    }
}
