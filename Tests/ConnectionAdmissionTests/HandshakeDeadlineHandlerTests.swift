import ConnectionAdmission
import NIOCore
import NIOEmbedded
import NIOTLS
import Testing

@Suite struct HandshakeDeadlineHandlerTests {
    let limits = ConnectionAdmissionLimits(maximumUnauthenticated: 8, reserveForNewSources: 2, maximumUnauthenticatedPerSource: 2, maximumPerIdentity: 1)

    /// A connection from `source` with the handler in its pipeline, connected (active).
    func connection(_ gate: ConnectionAdmissionGate, source: String, loop: EmbeddedEventLoop = EmbeddedEventLoop(), completion: HandshakeCompletion = .tlsHandshake, identity: String? = nil) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(loop: loop)
        channel.remoteAddress = try SocketAddress(ipAddress: source, port: 40_000)
        try channel.pipeline.syncOperations.addHandler(
            HandshakeDeadlineHandler(gate: gate, timeout: .seconds(10), completion: completion, identify: identity.map { name in { _ in name } })
        )
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 853)).wait()
        return channel
    }

    @Test func aSilentConnectionIsClosedAtTheDeadlineAndGivesItsSlotBack() throws {
        let gate = ConnectionAdmissionGate(listener: "test", limits: self.limits)
        let loop = EmbeddedEventLoop()
        let channel = try self.connection(gate, source: "127.0.0.2", loop: loop)
        #expect(gate.state.unauthenticated == 1)
        loop.advanceTime(by: .seconds(9))
        #expect(channel.isActive)
        loop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
        #expect(gate.state.unauthenticated == 0)
        #expect(gate.refusals[.handshakeTimeout] == 1)
    }

    @Test func aCompletedHandshakeStopsTheClockAndPassesTheEventOn() throws {
        let gate = ConnectionAdmissionGate(listener: "test", limits: self.limits)
        let loop = EmbeddedEventLoop()
        let channel = try self.connection(gate, source: "127.0.0.1", loop: loop, identity: "laptop")
        loop.advanceTime(by: .seconds(5))
        channel.pipeline.fireUserInboundEventTriggered(TLSUserEvent.handshakeCompleted(negotiatedProtocol: nil))
        loop.advanceTime(by: .seconds(60))
        #expect(channel.isActive)
        #expect(gate.state.unauthenticated == 0)
        #expect(gate.state.authenticatedByIdentity == ["laptop": 1])
        // Reads pass through once past the handshake.
        try channel.writeInbound(ByteBuffer(string: "query"))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(string: "query"))
        _ = try channel.finish()
        #expect(gate.state.authenticatedByIdentity.isEmpty)
    }

    @Test func overTheSourceCapIsClosedAtOnce() throws {
        let gate = ConnectionAdmissionGate(listener: "test", limits: self.limits)
        let first = try self.connection(gate, source: "127.0.0.2")
        let second = try self.connection(gate, source: "127.0.0.2")
        let third = try self.connection(gate, source: "127.0.0.2")
        #expect(first.isActive && second.isActive)
        #expect(!third.isActive)
        #expect(gate.refusals[.sourceLimit] == 1)
        // Another address still gets in.
        let legitimate = try self.connection(gate, source: "127.0.0.1")
        #expect(legitimate.isActive)
        #expect(gate.state.unauthenticated == 3)
    }

    @Test func anIdentityOverItsShareIsClosedAfterTheHandshake() throws {
        let gate = ConnectionAdmissionGate(listener: "test", limits: self.limits)
        let first = try self.connection(gate, source: "127.0.0.1", identity: "laptop")
        let second = try self.connection(gate, source: "127.0.0.1", identity: "laptop")
        first.pipeline.fireUserInboundEventTriggered(TLSUserEvent.handshakeCompleted(negotiatedProtocol: nil))
        second.pipeline.fireUserInboundEventTriggered(TLSUserEvent.handshakeCompleted(negotiatedProtocol: nil))
        #expect(first.isActive)
        #expect(!second.isActive)
        #expect(gate.refusals[.identityLimit] == 1)
        #expect(gate.state.unauthenticated == 0)
    }

    @Test func theFirstReadEndsTheHandshakeForHTTP() throws {
        let gate = ConnectionAdmissionGate(listener: "test", limits: self.limits)
        let loop = EmbeddedEventLoop()
        let channel = try self.connection(gate, source: "127.0.0.1", loop: loop, completion: .firstRead)
        loop.advanceTime(by: .seconds(3))
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1"))
        loop.advanceTime(by: .seconds(30))
        #expect(channel.isActive)
        #expect(gate.state.unauthenticated == 0)
        #expect(gate.refusals.values.reduce(0, +) == 0)
    }

    @Test func aConnectionClosedDuringItsHandshakeGivesItsSlotBack() throws {
        let gate = ConnectionAdmissionGate(listener: "test", limits: self.limits)
        let channel = try self.connection(gate, source: "127.0.0.2")
        #expect(gate.state.unauthenticated == 1)
        try channel.close().wait()
        #expect(gate.state.unauthenticated == 0)
    }
}
