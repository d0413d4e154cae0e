import DNSTransport
import DNSWire
import NIOCore
import NIOPosix
import ServerLite
import StubResolver
import TestSupport
import Testing

/// A real ServerLite and a real stub in this process, on ephemeral ports, with one allowed
/// endpoint ("laptop") and a private zone corp.test holding 1000 names and some large records.
struct LiveStack {
    let fixture: ServerFixture
    /// The client identity the pool presents.
    let laptop: TestPKI.Files
    let server: ZTServer
    let dot: SocketAddress
    let pool: DoTUpstreamPool
    let stub: StubServer
    let processor: StubQueryProcessor
    let udp: SocketAddress
    let tcp: SocketAddress
    let client: TestDNSClient

    static let bulkCount = 1000

    /// The A record of bulk name `index`: 198.18.x.y (the benchmarking range).
    static func bulkAddress(_ index: Int) -> IPv4Address {
        IPv4Address(198, 18, UInt8(index / 256), UInt8(index % 256))
    }

    static func start(group: EventLoopGroup, timeout: TimeAmount = .seconds(2), configureStub: (inout StubConfiguration) -> Void = { _ in }) async throws -> LiveStack {
        let fixture = try ServerFixture()
        var records = ["@ A 203.0.113.50", "db A 203.0.113.50", "big TXT \(String(repeating: "b", count: 3000))"]
        for index in 0..<bulkCount {
            records.append("n\(index) A \(bulkAddress(index))")
        }
        // ~60 KB: 230 strings of 255 bytes.
        let huge = (0..<230).map { "\"" + String(repeating: Character(UnicodeScalar(UInt8(97 + $0 % 26))), count: 255) + "\"" }.joined(separator: " ")
        records.append("huge TXT \(huge)")
        try fixture.administration.addZone("corp.test", records: records, allow: ["laptop"], serviceCommonName: nil)
        try fixture.administration.addZone("hidden.test", records: [], allow: ["someone-else"], serviceCommonName: nil)
        let laptop = try fixture.issue("laptop")
        let (server, addresses) = try await fixture.startServer(group: group)
        let pool = try fixture.makePool(client: laptop, servers: [addresses.dot], group: group)
        let (stub, processor, udp, tcp) = try await fixture.startStub(upstream: pool, group: group, timeout: timeout, configure: configureStub)
        return LiveStack(fixture: fixture, laptop: laptop, server: server, dot: addresses.dot, pool: pool, stub: stub, processor: processor, udp: udp, tcp: tcp, client: TestDNSClient(group: group))
    }

    func stop() async {
        await self.stub.stop()
        self.pool.shutdown()
        await self.server.stop()
        self.fixture.remove()
    }
}

/// A name the test spells; a typo fails the test instead of quietly becoming the root.
func dnsName(_ text: String) -> DNSName {
    do {
        return try DNSName(text)
    } catch {
        Issue.record("'\(text)' is not a valid name: \(error)")
        return .root
    }
}
