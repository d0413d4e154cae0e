import DNSTransport
import NIOCore
import NIOEmbedded
import Testing

/// The DNS serving code agent stub and server DoT share, on an embedded channel (virtual time).
@Suite struct DNSStreamServingHandlerTests {
    /// A connected channel whose handler answers each query with `answerSize` bytes now, or
    /// hands out a promise per query when `later` is set.
    final class Fixture {
        let loop = EmbeddedEventLoop()
        let channel: EmbeddedChannel
        var pending: [EventLoopPromise<[UInt8]?>] = []
        var answered = 0

        init(answerSize: Int = 3_000, later: Bool = false, maximumInFlight: Int = 4, idleTimeout: TimeAmount = .seconds(10)) throws {
            self.channel = EmbeddedChannel(loop: self.loop)
            let handler = DNSStreamServingHandler(maximumInFlight: maximumInFlight, idleTimeout: idleTimeout) { [unowned self] _, loop in
                self.answered += 1
                if later {
                    let promise = loop.makePromise(of: [UInt8]?.self)
                    self.pending.append(promise)
                    return .later(promise.futureResult)
                }
                return .now([UInt8](repeating: 0x41, count: answerSize))
            }
            try self.channel.pipeline.syncOperations.addHandler(handler)
            try self.channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 853)).wait()
        }

        func query() throws {
            try self.channel.writeInbound(ByteBuffer(string: "q"))
        }

        func written() throws -> Int {
            var count = 0
            while try self.channel.readOutbound(as: ByteBuffer.self) != nil { count += 1 }
            return count
        }
    }

    @Test func aClientThatDoesNotReadIsNotAnsweredNorReadFrom() throws {
        let fixture = try Fixture()
        try fixture.query()
        #expect(try fixture.written() == 1)
        // The socket's send buffer is full: queries that arrive wait as queries, unanswered.
        fixture.channel.isWritable = false
        fixture.channel.pipeline.fireChannelWritabilityChanged()
        for _ in 0..<1_000 { try fixture.query() }
        #expect(fixture.answered == 1)
        #expect(try fixture.written() == 0)
        // And the connection is not read from meanwhile.
        let reads = ReadCounter()
        try fixture.channel.pipeline.syncOperations.addHandler(reads, position: .first)
        fixture.channel.read()
        #expect(reads.count == 0)
        // Writable again: the waiting queries are answered and reading resumes.
        fixture.channel.isWritable = true
        fixture.channel.pipeline.fireChannelWritabilityChanged()
        #expect(fixture.answered == 1_001)
        #expect(try fixture.written() == 1_000)
        #expect(reads.count == 1)
    }

    @Test func queriesBeyondTheInFlightCapWait() throws {
        let fixture = try Fixture(later: true, maximumInFlight: 4)
        for _ in 0..<10 { try fixture.query() }
        #expect(fixture.answered == 4)
        fixture.pending.removeFirst().succeed([1, 2, 3])
        #expect(fixture.answered == 5)
        #expect(try fixture.written() == 1)
    }

    @Test func theIdleTimerCountsCompleteQueriesOnly() throws {
        let fixture = try Fixture(idleTimeout: .seconds(10))
        fixture.loop.advanceTime(by: .seconds(6))
        try fixture.query()
        fixture.loop.advanceTime(by: .seconds(6))
        #expect(fixture.channel.isActive)
        // Bytes that never make a complete frame would not reach this handler at all (the frame
        // decoder holds them): nothing else arrives, so it closes 10 s after the last query.
        fixture.loop.advanceTime(by: .seconds(5))
        #expect(!fixture.channel.isActive)
    }

    @Test func aQueryInFlightKeepsTheConnectionOpen() throws {
        let fixture = try Fixture(later: true, idleTimeout: .seconds(10))
        try fixture.query()
        fixture.loop.advanceTime(by: .seconds(30))
        #expect(fixture.channel.isActive)
        fixture.pending.removeFirst().succeed(nil)
        fixture.loop.advanceTime(by: .seconds(11))
        #expect(!fixture.channel.isActive)
    }
}

/// Counts the reads that reach the head of the pipeline.
final class ReadCounter: ChannelOutboundHandler {
    typealias OutboundIn = NIOAny
    var count = 0
    func read(context: ChannelHandlerContext) {
        self.count += 1
        context.read()
    }
}
