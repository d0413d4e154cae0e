import NIOCore

/// Carries many DNS queries on one stream connection (RFC 7766 pipelining).
///
/// Outbound it takes ``PendingQuery`` values, gives each a fresh random ID that is unique among the
/// queries in flight on this connection, and writes the bytes (a length prefix is added further
/// down the pipeline). Inbound it matches each answer by ID, in any order, restores the caller's
/// ID and completes the caller's promise. Answers nobody waits for (late or forged) are dropped
/// and counted. When the connection goes away every waiting query fails with
/// ``DNSUpstreamError/connectionClosed`` so nothing hangs.
///
/// A connection that misbehaves is closed, so its queries move on (to another server, or to
/// SERVFAIL at once) instead of waiting out their deadlines one by one on it:
/// - a frame that cannot be a DNS response (shorter than a header, or the QR bit clear);
/// - a query that times out with no answer matched on the connection since it was sent: the
///   connection is stalled (a server that stopped answering, or a frame that never ends). A
///   server answering other queries meanwhile keeps its connection; one late answer does not
///   cost it anything.
public final class DNSQueryMultiplexer: ChannelDuplexHandler {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundIn = PendingQuery
    public typealias OutboundOut = ByteBuffer

    private struct InFlight {
        var originalID: UInt16
        var promise: EventLoopPromise<[UInt8]>
        var timeout: Scheduled<Void>?
        var sentAt: NIODeadline
    }

    private var inFlight: [UInt16: InFlight] = [:]
    private var isActive = true
    private let maxInFlight: Int
    private let onError: (@Sendable (any Error) -> Void)?
    private var random = SystemRandomNumberGenerator()
    /// Answers that matched no query in flight.
    public private(set) var unmatchedAnswers = 0
    /// Why this multiplexer closed its connection itself, if it did.
    public private(set) var closeReason: String?
    /// When an answer last matched a query in flight (at first: when the handler was made).
    private var lastMatchedAt = NIODeadline.now()

    /// - Parameters:
    ///   - maxInFlight: the most queries this connection carries at once (at most 65,536).
    ///   - onError: told about errors that end the connection (TLS alerts among them).
    public init(maxInFlight: Int = 4096, onError: (@Sendable (any Error) -> Void)? = nil) {
        self.maxInFlight = min(max(1, maxInFlight), 65_536)
        self.onError = onError
    }

    /// The number of queries waiting for an answer.
    public var inFlightCount: Int { inFlight.count }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let query = self.unwrapOutboundIn(data)
        guard self.isActive else {
            query.promise.fail(DNSUpstreamError.connectionClosed)
            promise?.fail(DNSUpstreamError.connectionClosed)
            return
        }
        guard query.bytes.count >= 12 else {
            query.promise.fail(DNSUpstreamError.unencodableQuery("shorter than a DNS header"))
            promise?.fail(DNSUpstreamError.unencodableQuery("shorter than a DNS header"))
            return
        }
        guard self.inFlight.count < self.maxInFlight else {
            query.promise.fail(DNSUpstreamError.tooManyInFlight)
            promise?.fail(DNSUpstreamError.tooManyInFlight)
            return
        }
        var id = UInt16.random(in: .min ... .max, using: &self.random)
        while self.inFlight[id] != nil { id = UInt16.random(in: .min ... .max, using: &self.random) }
        let originalID = UInt16(query.bytes[0]) << 8 | UInt16(query.bytes[1])

        let loop = context.eventLoop.assumeIsolated()
        let sentAt = NIODeadline.now()
        let timeout = loop.scheduleTask(deadline: query.deadline) { [self] in
            guard let entry = self.inFlight.removeValue(forKey: id) else { return }
            entry.promise.fail(DNSUpstreamError.timeout)
            if self.lastMatchedAt < entry.sentAt {
                self.closeBroken(context: context, reason: "stalled: no answer since a query that timed out was sent")
            }
        }
        self.inFlight[id] = InFlight(originalID: originalID, promise: query.promise, timeout: timeout, sentAt: sentAt)

        var buffer = context.channel.allocator.buffer(capacity: query.bytes.count)
        buffer.writeBytes(query.bytes)
        buffer.setInteger(id, at: buffer.readerIndex)
        context.write(self.wrapOutboundOut(buffer), promise: promise)
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = self.unwrapInboundIn(data)
        guard buffer.readableBytes >= 12,
              let id = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
              let flags = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt8.self),
              flags & 0x80 != 0
        else {
            self.closeBroken(context: context, reason: "a frame that is not a DNS response (\(buffer.readableBytes) bytes)")
            return
        }
        guard let entry = self.inFlight.removeValue(forKey: id) else {
            // Late (its query timed out) or from a confused server: dropped, counted.
            self.unmatchedAnswers += 1
            return
        }
        self.lastMatchedAt = .now()
        entry.timeout?.cancel()
        var bytes = Array(buffer.readableBytesView)
        bytes[0] = UInt8(truncatingIfNeeded: entry.originalID >> 8)
        bytes[1] = UInt8(truncatingIfNeeded: entry.originalID)
        entry.promise.succeed(bytes)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        self.failAll(DNSUpstreamError.connectionClosed)
        context.fireChannelInactive()
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        self.failAll(DNSUpstreamError.connectionClosed)
    }

    public func errorCaught(context: ChannelHandlerContext, error: Error) {
        self.onError?(error)
        let reason: DNSUpstreamError
        if let upstream = error as? DNSUpstreamError {
            reason = upstream
        } else {
            reason = .connectFailed(String(describing: error))
        }
        self.failAll(reason)
        context.close(promise: nil)
    }

    /// Fails every query in flight (they may be retried elsewhere) and closes the connection.
    private func closeBroken(context: ChannelHandlerContext, reason: String) {
        guard self.isActive else { return }
        self.closeReason = reason
        self.onError?(DNSUpstreamError.malformedResponse(reason))
        self.failAll(DNSUpstreamError.connectionClosed)
        context.close(promise: nil)
    }

    private func failAll(_ error: DNSUpstreamError) {
        self.isActive = false
        let waiting = self.inFlight
        self.inFlight.removeAll()
        for (_, entry) in waiting {
            entry.timeout?.cancel()
            entry.promise.fail(error)
        }
    }
}
