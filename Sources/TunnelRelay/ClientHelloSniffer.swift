import NIOCore
import TLSClientHello

/// Told down the pipeline once the connection's ClientHello has been read, before any of its
/// bytes: the SNI the client asked for. The bytes themselves follow unchanged.
public struct ClientHelloSeen: Sendable, Equatable {
    /// What the hello said.
    public var info: ClientHelloInfo
    public init(info: ClientHelloInfo) { self.info = info }
}

/// Reads a connection's first bytes until they hold a whole TLS ClientHello (however TCP split
/// it), tells ``ClientHelloSeen`` down the pipeline, passes the bytes on untouched and removes
/// itself. Garbage, an oversized hello or one that never completes within `timeout` closes the
/// connection, and `onRefused` is told why (for logs and counters). Nothing is ever sent back.
public final class ClientHelloSniffer: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer

    /// Why a connection was closed before its hello was complete.
    public enum Refusal: Sendable, Equatable, CustomStringConvertible {
        case invalid(ClientHelloError)
        case timedOut
        case closedEarly

        public var description: String {
            switch self {
            case .invalid(let error): return "bad ClientHello: \(error)"
            case .timedOut: return "no complete ClientHello in time"
            case .closedEarly: return "closed before a complete ClientHello"
            }
        }
    }

    private var buffered: ByteBuffer?
    private let maximumLength: Int
    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?
    private var done = false
    private let onRefused: @Sendable (Refusal) -> Void

    public init(maximumLength: Int = ClientHelloReader.defaultMaximumLength, timeout: TimeAmount = .seconds(10), onRefused: @escaping @Sendable (Refusal) -> Void = { _ in }) {
        self.maximumLength = maximumLength
        self.timeout = timeout
        self.onRefused = onRefused
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        self.timer = context.eventLoop.scheduleTask(in: self.timeout) {
            let (handler, context) = loopBound.value
            handler.refuse(.timedOut, context: context)
        }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        self.timer?.cancel()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.done else { return }
        var incoming = self.unwrapInboundIn(data)
        if self.buffered == nil {
            self.buffered = incoming
        } else {
            self.buffered?.writeBuffer(&incoming)
        }
        guard let bytes = self.buffered?.readableBytesView else { return }
        switch ClientHelloReader.read(bytes, maximumLength: self.maximumLength) {
        case .needMoreData:
            return
        case .invalid(let error):
            self.refuse(.invalid(error), context: context)
        case .complete(let info):
            self.done = true
            self.timer?.cancel()
            context.fireUserInboundEventTriggered(ClientHelloSeen(info: info))
            if let buffered = self.buffered {
                self.buffered = nil
                context.fireChannelRead(self.wrapInboundOut(buffered))
            }
            context.fireChannelReadComplete()
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed, !self.done {
            self.refuse(.closedEarly, context: context)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        if !self.done {
            self.done = true
            self.timer?.cancel()
            self.onRefused(.closedEarly)
        }
        context.fireChannelInactive()
    }

    public func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    private func refuse(_ refusal: Refusal, context: ChannelHandlerContext) {
        guard !self.done else { return }
        self.done = true
        self.timer?.cancel()
        self.buffered = nil
        self.onRefused(refusal)
        context.close(promise: nil)
    }
}
