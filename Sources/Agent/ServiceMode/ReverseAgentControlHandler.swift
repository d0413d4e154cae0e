import NIOCore

/// Reads the router's lines on the control connection: `OK`/`ERR` answers to `SERVE`, `PING`
/// (answered `PONG`) and `DIAL <id> <route>`. Anything else closes the connection.
final class ReverseAgentControlHandler: ChannelInboundHandler {
    typealias InboundIn = String

    private let client: ReverseTunnelClient

    init(client: ReverseTunnelClient) {
        self.client = client
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let line = self.unwrapInboundIn(data)
        let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        switch (words.first, words.count) {
        case ("OK", 2):
            self.client.served(words[1])
        case ("ERR", 3...):
            self.client.refused(words[1], reason: words.dropFirst(2).joined(separator: " "))
        case ("PING", 1):
            context.writeAndFlush(NIOAny(ByteBuffer(string: "PONG\n")), promise: nil)
        case ("DIAL", 3):
            self.client.dialBack(id: words[1], name: words[2], control: context.channel)
        default:
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
