import Logging
import NIOCore
import TunnelRelay

/// The router's end of a reverse data connection before it is spliced: reads exactly one line,
/// `ACCEPT <id>`, answers `OK`, leaves a ``PendingSpliceHandler`` in its place (so nothing the
/// agent relays before the splice is lost) and hands the channel to the waiting client.
/// Anything else closes the connection.
final class ReverseDataAcceptHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let commonName: String
    private let hub: ReverseTunnelHub
    private let logger: Logger
    private var line: [UInt8] = []
    private var done = false

    init(commonName: String, hub: ReverseTunnelHub, logger: Logger) {
        self.commonName = commonName
        self.hub = hub
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.done else {
            // The agent must wait for OK before relaying.
            context.close(promise: nil)
            return
        }
        let buffer = self.unwrapInboundIn(data)
        let bytes = Array(buffer.readableBytesView)
        guard let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) else {
            self.line += bytes
            if self.line.count > 128 { context.close(promise: nil) }
            return
        }
        self.line += bytes[..<newline]
        guard newline == bytes.count - 1 else {
            context.close(promise: nil)
            return
        }
        self.done = true
        let words = String(decoding: self.line, as: UTF8.self).split(separator: " ").map(String.init)
        guard words.count == 2, words[0] == "ACCEPT" else {
            context.close(promise: nil)
            return
        }
        do {
            try context.pipeline.syncOperations.addHandler(PendingSpliceHandler(), position: .after(self))
        } catch {
            context.close(promise: nil)
            return
        }
        context.writeAndFlush(self.wrapOutboundOut(ReverseTunnelHub.line("OK")), promise: nil)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        guard self.hub.accept(id: words[1], commonName: self.commonName, channel: context.channel) else {
            self.logger.notice("reverse data connection for an unknown dial-back, closing", metadata: ["cn": "\(self.commonName)"])
            context.close(promise: nil)
            return
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
