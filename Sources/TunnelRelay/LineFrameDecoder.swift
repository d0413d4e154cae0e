import NIOCore

/// Splits a byte stream into lines ("\n"-terminated, an optional "\r" dropped) of at most
/// `maximumLength` bytes, each passed on as a `String`. A longer line, or bytes that are not
/// UTF-8, closes the connection: a control protocol never needs either.
public final class LineFrameDecoder: ChannelInboundHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = String

    private var pending: [UInt8] = []
    private let maximumLength: Int

    public init(maximumLength: Int) {
        self.maximumLength = maximumLength
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = self.unwrapInboundIn(data)
        for byte in buffer.readableBytesView {
            if byte == UInt8(ascii: "\n") {
                if self.pending.last == UInt8(ascii: "\r") { self.pending.removeLast() }
                guard let line = String(validating: self.pending, as: UTF8.self) else {
                    context.close(promise: nil)
                    return
                }
                self.pending.removeAll(keepingCapacity: true)
                context.fireChannelRead(self.wrapInboundOut(line))
                guard context.channel.isActive else { return }
            } else {
                self.pending.append(byte)
                if self.pending.count > self.maximumLength {
                    context.close(promise: nil)
                    return
                }
            }
        }
    }
}
