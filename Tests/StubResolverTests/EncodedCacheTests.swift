import DNSTransport
import DNSWire
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

@testable import StubResolver

/// Answers the same canned response to every query.
private struct CannedUpstream: DNSUpstream {
    let make: @Sendable (DNSMessage) -> DNSMessage
    let loop: EventLoop
    func query(_ message: DNSMessage, timeout: TimeAmount) -> EventLoopFuture<DNSMessage> {
        self.loop.makeSucceededFuture(self.make(message))
    }
}

private final class TestClock: Sendable {
    let now = NIOLockedValueBox<UInt64>(1000)
}

/// The fast cache-hit path (stored bytes, patched) must give the same reply as the full path
/// (parse, rebuild, encode) for every query shape it accepts.
@Suite("Cache hits answered from pre-encoded bytes")
struct EncodedCacheTests {
    static func upstreamAnswer(_ query: DNSMessage) -> DNSMessage {
        let question = query.questions[0]
        var reply = DNSMessage.response(to: query, responseCode: .noError)
        reply.header.recursionAvailable = true
        let owner = (try? DNSName(question.name.description.uppercased())) ?? question.name
        switch question.type {
        case .a:
            reply.answers = [
                DNSResourceRecord(name: owner, ttl: 300, data: .cname(dnsName("Target.Example."))),
                DNSResourceRecord(name: dnsName("target.example."), ttl: 120, data: .a(IPv4Address(192, 0, 2, 7))),
                DNSResourceRecord(name: dnsName("target.example."), ttl: 90, data: .a(IPv4Address(192, 0, 2, 8))),
            ]
        case .txt:
            reply.answers = [DNSResourceRecord(name: owner, ttl: 60, data: .txt(Array(repeating: Array(repeating: UInt8(ascii: "x"), count: 250), count: 6) + [Array("short".utf8)]))]
        default:
            reply.responseCode = .nameError
            reply.authorities = [DNSResourceRecord(name: dnsName("example."), ttl: 600, data: .soa(DNSStartOfAuthority(
                primaryServer: dnsName("ns.example."), responsibleMailbox: dnsName("hostmaster.example."),
                serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 45)))]
        }
        return reply
    }

    @Test("same reply as the full path: EDNS or not, DO, RD/CD, letter case, TTL countdown, truncation")
    func fastPathMatchesFullPath() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let clock = TestClock()
        let cache = DNSCache(capacity: 100, clock: { clock.now.withLockedValue { $0 } })
        let processor = StubQueryProcessor(
            upstream: CannedUpstream(make: Self.upstreamAnswer, loop: loop), cache: cache,
            configuration: StubConfiguration(listenAddresses: [], upstreamTimeout: .seconds(1))
        )
        for (type, names) in [(DNSRecordType.a, ["www.example.", "WwW.ExAmPlE."]), (.txt, ["t.example.", "T.EXAMPLE."]), (.mx, ["none.example."])] {
            for (index, text) in names.enumerated() {
                for edns in [nil, 512, 4096] as [UInt16?] {
                    for dnssecOK in [false, true] where edns != nil || !dnssecOK {
                        for flags in [(rd: true, cd: false), (rd: false, cd: true)] {
                            var query = DNSMessage.query(id: UInt16(index * 100 + 7), name: try DNSName(text), type: type, recursionDesired: flags.rd, ednsPayloadSize: edns)
                            query.header.checkingDisabled = flags.cd
                            query.edns?.dnssecOK = dnssecOK
                            let bytes = try query.serialized()
                            // First ask fills the cache (full path), the second is a hit.
                            _ = try await Self.answer(processor, bytes, loop: loop)
                            clock.now.withLockedValue { $0 += 7 }
                            for transport in [DNSTransportKind.udp, .tcp] {
                                let fast = try await Self.answer(processor, bytes, loop: loop, transport: transport)
                                let slow = try Self.fullPath(query, cache: cache, transport: transport, processor: processor)
                                let fastMessage = try DNSMessage(parsing: fast)
                                let slowMessage = try DNSMessage(parsing: slow)
                                #expect(fastMessage == slowMessage, "\(text) \(type) edns=\(String(describing: edns)) do=\(dnssecOK) \(transport)")
                                #expect(Array(fast[12..<(12 + query.questions[0].name.wireLength)]) == Array(bytes[12..<(12 + query.questions[0].name.wireLength)]), "question case")
                            }
                        }
                    }
                }
            }
        }
        try await group.shutdownGracefully()
    }

    static func answer(_ processor: StubQueryProcessor, _ bytes: [UInt8], loop: EventLoop, transport: DNSTransportKind = .udp) async throws -> [UInt8] {
        switch processor.process(bytes, transport: transport, on: loop) {
        case .now(let reply): return try #require(reply)
        case .later(let future): return try #require(try await future.get())
        }
    }

    /// What the full path builds for `query` from the cached message.
    static func fullPath(_ query: DNSMessage, cache: DNSCache, transport: DNSTransportKind, processor: StubQueryProcessor) throws -> [UInt8] {
        let key = try #require(DNSCacheKey(query: query))
        guard case .fresh(let cached) = cache.lookup(key) else { throw CancellationError() }
        let limit = ResponseBuilder.sizeLimit(for: query, transport: transport, maximumUDPPayload: StubConfiguration(listenAddresses: []).maximumUDPPayload)
        return try ResponseBuilder.reply(to: query, with: cached).serialized(fittingIn: limit)
    }

    @Test("shapes the compact reader leaves to the full parser")
    func compactQueryRefusals() throws {
        let plain = try DNSMessage.query(id: 1, name: try DNSName("a.example."), type: .a).serialized()
        #expect(CompactQuery(plain) != nil)
        var response = plain
        response[2] |= 0x80
        #expect(CompactQuery(response) == nil)
        var notify = plain
        notify[2] |= 0x20  // opcode 4
        #expect(CompactQuery(notify) == nil)
        #expect(CompactQuery(plain + [0]) == nil)  // trailing byte
        #expect(CompactQuery(Array(plain.dropLast())) == nil)
        var badVersion = try DNSMessage.query(id: 1, name: try DNSName("a.example."), type: .a, ednsPayloadSize: 1232).serialized()
        badVersion[badVersion.count - 5] = 1  // OPT version 1: BADVERS is the full path's job
        #expect(CompactQuery(badVersion) == nil)
    }
}
