import NIOCore

/// Holds a connection to its listener's caps from accept to the end of its handshake, and
/// closes it when the handshake does not end within `timeout`.
///
/// At accept it asks the ``ConnectionAdmissionGate`` for an unauthenticated slot for the peer's
/// address (an IPv6 address counts as its /64, see ``SourceAddressKey``; a refused connection is
/// closed before anything is read). When ``HandshakeCompletion``
/// says the handshake is done, the slot is given back; with `identify`, the connection then
/// needs a slot of the identity it authenticated as (closed when that identity holds its share),
/// which it keeps until it closes. Place it after the handler whose completion it watches
/// (after the TLS handler for TLS, after the HTTP decoder for request headers).
public final class HandshakeDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = NIOAny

    private enum Phase {
        case new
        case refused
        case unauthenticated(source: String)
        case authenticated(identity: String)
        /// Past the handshake, holding no slot (no identities, or closed).
        case passed
    }

    private let gate: ConnectionAdmissionGate
    private let timeout: TimeAmount
    private let completion: HandshakeCompletion
    private let identify: ((ChannelHandlerContext) -> String?)?
    private var phase = Phase.new
    private var timer: Scheduled<Void>?

    /// - Parameters:
    ///   - identify: the identity the completed handshake proved (the client certificate's CN);
    ///     nil when the listener has no identities. Returning nil leaves the decision to the
    ///     handlers after this one (a connection without a certificate is theirs to refuse).
    public init(gate: ConnectionAdmissionGate, timeout: TimeAmount, completion: HandshakeCompletion, identify: ((ChannelHandlerContext) -> String?)? = nil) {
        self.gate = gate
        self.timeout = timeout
        self.completion = completion
        self.identify = identify
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        guard case .new = self.phase else { return }
        let source = SourceAddressKey.key(for: context.channel.remoteAddress)
        switch self.gate.open(source: source) {
        case .refuse:
            self.phase = .refused
            // Closed once active (the initializer runs before the channel is registered).
            if context.channel.isActive { context.close(promise: nil) }
        case .admit:
            self.phase = .unauthenticated(source: source)
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            self.timer = context.eventLoop.scheduleTask(in: self.timeout) {
                let (handler, context) = loopBound.value
                handler.timedOut(context: context)
            }
        }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        self.finish()
    }

    public func channelActive(context: ChannelHandlerContext) {
        if case .refused = self.phase {
            context.close(promise: nil)
            return
        }
        context.fireChannelActive()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        self.finish()
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.phase {
        case .refused:
            return
        case .unauthenticated:
            if case .firstRead = self.completion, !self.completeHandshake(context: context) { return }
        case .new, .authenticated, .passed:
            break
        }
        context.fireChannelRead(data)
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .unauthenticated = self.phase, case .userEvent(let isCompletion) = self.completion, isCompletion(event) {
            guard self.completeHandshake(context: context) else { return }
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Ends the unauthenticated phase. False when the connection was refused (and closed).
    private func completeHandshake(context: ChannelHandlerContext) -> Bool {
        guard case .unauthenticated(let source) = self.phase else { return true }
        self.timer?.cancel()
        self.timer = nil
        guard let identity = self.identify?(context) else {
            self.gate.release(source: source)
            self.phase = .passed
            return true
        }
        switch self.gate.authenticate(source: source, identity: identity) {
        case .admit:
            self.phase = .authenticated(identity: identity)
            return true
        case .refuse:
            self.phase = .refused
            context.close(promise: nil)
            return false
        }
    }

    private func timedOut(context: ChannelHandlerContext) {
        self.timer = nil
        guard case .unauthenticated(let source) = self.phase else { return }
        self.gate.release(source: source)
        self.phase = .refused
        self.gate.refused(.handshakeTimeout, source: source)
        context.close(promise: nil)
    }

    /// Gives back whatever slot the connection holds (once).
    private func finish() {
        self.timer?.cancel()
        self.timer = nil
        switch self.phase {
        case .unauthenticated(let source): self.gate.release(source: source)
        case .authenticated(let identity): self.gate.release(identity: identity)
        case .new, .refused, .passed: return
        }
        self.phase = .passed
    }
}
