import DNSTransport
import DNSWire
import NIOCore
import NIOEmbedded
import Testing

/// The multiplexer closes a connection that stalls or sends what cannot be a DNS response, so
/// its queries fail over at once instead of each waiting out its deadline on it.
@Suite struct MultiplexerBrokenConnectionTests {
    private func query(_ channel: EmbeddedChannel, id: UInt16, deadlineIn: TimeAmount) throws -> (EventLoopFuture<[UInt8]>, UInt16) {
        let promise = channel.eventLoop.makePromise(of: [UInt8].self)
        let bytes = try DNSMessage.query(id: id, name: try DNSName("q\(id).example."), type: .a).serialized()
        // Deadlines on the embedded loop's virtual clock, which advanceTime moves.
        try channel.writeOutbound(PendingQuery(bytes: bytes, promise: promise, deadline: channel.embeddedEventLoop.now + deadlineIn))
        let written = try #require(try channel.readOutbound(as: ByteBuffer.self))
        let wireID = try #require(written.getInteger(at: written.readerIndex, as: UInt16.self))
        return (promise.futureResult, wireID)
    }

    private func answer(to wireID: UInt16, _ channel: EmbeddedChannel) throws {
        var response = DNSMessage.query(id: wireID, name: try DNSName("x.example."), type: .a)
        response.header.isResponse = true
        var buffer = channel.allocator.buffer(capacity: 64)
        buffer.writeBytes(try response.serialized())
        try channel.writeInbound(buffer)
    }

    /// What a future completed with, read without waiting (the embedded loop runs callbacks in
    /// line): nil while it is pending.
    private final class Outcome: @unchecked Sendable {
        var error: DNSUpstreamError?
        var completed = false
    }

    /// Whether a future has already succeeded with an answer (at least a DNS header).
    private func answered(_ future: EventLoopFuture<[UInt8]>) -> Bool {
        let outcome = Outcome()
        future.whenSuccess { bytes in outcome.completed = bytes.count >= 12 }
        return outcome.completed
    }

    /// The error a future failed with; nil when it succeeded or has not completed.
    private func failure<T>(_ future: EventLoopFuture<T>) -> DNSUpstreamError? {
        let outcome = Outcome()
        future.whenComplete { result in
            outcome.completed = true
            if case .failure(let error) = result { outcome.error = error as? DNSUpstreamError }
        }
        return outcome.error
    }

    @Test("A query that times out with nothing answered since it was sent closes the connection; the others fail over")
    func stalledConnectionIsClosed() throws {
        let multiplexer = DNSQueryMultiplexer()
        let channel = EmbeddedChannel(handler: multiplexer)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 853)).wait()
        let (first, _) = try self.query(channel, id: 1, deadlineIn: .milliseconds(100))
        let (second, _) = try self.query(channel, id: 2, deadlineIn: .seconds(30))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(150))
        #expect(self.failure(first) == .timeout)
        #expect(self.failure(second) == .connectionClosed, "the other query should fail over at once")
        #expect(!channel.isActive)
        #expect(multiplexer.closeReason?.contains("stalled") == true)
    }

    @Test("A query that times out while the server answers others does not close the connection")
    func slowAnswerKeepsConnection() throws {
        let multiplexer = DNSQueryMultiplexer()
        let channel = EmbeddedChannel(handler: multiplexer)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 853)).wait()
        let (slow, _) = try self.query(channel, id: 1, deadlineIn: .milliseconds(100))
        let (fast, fastID) = try self.query(channel, id: 2, deadlineIn: .seconds(30))
        try self.answer(to: fastID, channel)
        #expect(self.answered(fast))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(150))
        #expect(self.failure(slow) == .timeout)
        #expect(channel.isActive, "a server that answered since the slow query was sent is not stalled")
        #expect(multiplexer.closeReason == nil)
        _ = try? channel.finish()
    }

    @Test("A frame that is not a DNS response closes the connection and fails every query on it")
    func garbageFrameClosesConnection() throws {
        for garbage: [UInt8] in [[1, 2, 3], Array(repeating: 0, count: 20)] {
            let multiplexer = DNSQueryMultiplexer()
            let channel = EmbeddedChannel(handler: multiplexer)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 853)).wait()
            let (waiting, _) = try self.query(channel, id: 1, deadlineIn: .seconds(30))
            var buffer = channel.allocator.buffer(capacity: garbage.count)
            buffer.writeBytes(garbage)
            try channel.writeInbound(buffer)
            #expect(self.failure(waiting) == .connectionClosed)
            #expect(!channel.isActive)
            #expect(multiplexer.closeReason?.contains("not a DNS response") == true)
        }
    }

    @Test("An answer with an unknown ID (late, or confused) is dropped and counted; the connection stays")
    func unknownIDIsDropped() throws {
        let multiplexer = DNSQueryMultiplexer()
        let channel = EmbeddedChannel(handler: multiplexer)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 853)).wait()
        let (waiting, wireID) = try self.query(channel, id: 1, deadlineIn: .seconds(30))
        try self.answer(to: wireID ^ 0x5A5A, channel)
        #expect(multiplexer.unmatchedAnswers == 1)
        #expect(channel.isActive)
        try self.answer(to: wireID, channel)
        #expect(self.answered(waiting))
        _ = try? channel.finish()
    }
}
