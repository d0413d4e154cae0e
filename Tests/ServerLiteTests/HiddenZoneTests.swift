import CertStore
import DNSTransport
import DNSWire
import Foundation
import NIOCore
import NIOExtras
import NIOPosix
import NIOSSL
import ServerLite
import Testing
import TestSupport

/// A name the test spells; a typo fails the test instead of quietly becoming the root.
private func name(_ text: String) -> DNSName {
    do {
        return try DNSName(text)
    } catch {
        Issue.record("'\(text)' is not a valid name: \(error)")
        return .root
    }
}

/// A zone an endpoint may not see must answer exactly as if it did not exist, in every upstream
/// mode and for a child zone below one the endpoint may see: the same real server is asked over
/// DoT with the endpoint's certificate while the zone exists and again after it is removed, and
/// the replies are compared field by field (everything but the ID).
@Suite(.serialized) struct HiddenZoneTests {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)

    /// The questions asked about each hidden zone: below it, at its apex (A, SOA, NS), and a
    /// name whose parent zone has a record below the child's cut.
    static let questions: [(String, DNSRecordType)] = [
        ("x.secret.corp.", .a), ("vault.secret.corp.", .a), ("secret.corp.", .soa), ("secret.corp.", .ns), ("vault.secret.corp.", .aaaa),
        ("x.secret.internal.corp.", .a), ("vault.secret.internal.corp.", .a), ("secret.internal.corp.", .soa),
        ("secret.internal.corp.", .a), ("legacy.secret.internal.corp.", .a), ("legacy.secret.internal.corp.", .txt),
    ]

    @Test func refuseMode() async throws {
        try await self.compareHiddenWithAbsent { _ in }
    }

    @Test func dnsModeWithDnsmasqUpstream() async throws {
        let upstream = try await Dnsmasq.start(group: self.group)
        defer { upstream.stop() }
        let upstreamQueriesBefore = upstream.loggedQueries
        try await self.compareHiddenWithAbsent { configuration in
            configuration.upstreamMode = .dns
            configuration.upstreamServers = ["127.0.0.1:\(upstream.port)"]
        }
        // What stays observable: the upstream is asked the hidden name, as it would be if the
        // zone did not exist (docs/security.md says so).
        #expect(upstream.loggedQueries.count > upstreamQueriesBefore.count)
        #expect(upstream.loggedQueries.contains("x.secret.corp"), "dnsmasq's log: \(upstream.loggedQueries.suffix(2000))")
    }

    @Test func dotModeWithAnInProcessDoTUpstream() async throws {
        let pki = try TestPKI(serverName: "upstream.dot.test")
        defer { pki.remove() }
        let upstream = try await NXDomainDoTServer.start(pki: pki, group: self.group)
        defer { upstream.stop() }
        try await self.compareHiddenWithAbsent { configuration in
            configuration.upstreamMode = .dot
            configuration.upstreamServers = ["127.0.0.1:\(upstream.port)"]
            configuration.upstreamServerName = pki.serverName
            configuration.upstreamCAFile = pki.caPath
        }
        #expect(upstream.queryCount > 0, "the DoT upstream was asked")
    }

    /// In refuse mode a hidden name and a name in no zone at all get the same reply, question
    /// aside; and the refusal is counted.
    @Test func hiddenNameAndUnknownNameMatchInRefuseMode() async throws {
        let setup = try await Setup.start(group: self.group, hiddenZones: true) { _ in }
        defer { Task { await setup.stop() } }
        let hidden = try await setup.ask("x.secret.corp.", .a, id: 11)
        var unknown = try await setup.ask("x.absent.corp.", .a, id: 11)
        unknown.questions = hidden.questions
        Self.expectEqual(hidden, unknown, "x.secret.corp vs x.absent.corp (same length: same padding)")
        #expect(hidden.responseCode == .refused)
        #expect(setup.server.statistics.snapshot().hiddenRefusals == 1)
    }

    /// Hidden and unknown names take the same code path; their latencies over DoT are compared
    /// (interleaved, medians) and must not differ by more than the noise.
    @Test func hiddenAndUnknownTakeTheSameTime() async throws {
        let setup = try await Setup.start(group: self.group, hiddenZones: true) { _ in }
        defer { Task { await setup.stop() } }
        var hidden: [Duration] = []
        var unknown: [Duration] = []
        for round in 0..<400 {
            for (list, qname) in [(0, "x\(round).secret.corp."), (1, "x\(round).absent.corp.")] {
                let started = ContinuousClock.now
                _ = try await setup.ask(qname, .a, id: UInt16(round))
                let took = ContinuousClock.now - started
                if list == 0 { hidden.append(took) } else { unknown.append(took) }
            }
        }
        func median(_ values: [Duration]) -> Double {
            let sorted = values.sorted()
            let middle = sorted[sorted.count / 2].components
            return Double(middle.seconds) * 1e6 + Double(middle.attoseconds) / 1e12
        }
        let (hiddenMedian, unknownMedian) = (median(hidden), median(unknown))
        print("hidden-zone timing: median hidden \(String(format: "%.1f", hiddenMedian)) µs, unknown \(String(format: "%.1f", unknownMedian)) µs over \(hidden.count) queries each")
        #expect(abs(hiddenMedian - unknownMedian) < max(50, 0.25 * unknownMedian), "hidden \(hiddenMedian) µs vs unknown \(unknownMedian) µs")
    }

    /// An independent DoT client (kdig, with the endpoint's certificate) sees the same reply
    /// for the hidden zone as after the zone is removed.
    @Test func kdigSeesTheSameReply() async throws {
        let kdig = try PeerTool.require("kdig")
        let withZones = try await Setup.start(group: self.group, hiddenZones: true) { _ in }
        defer { Task { await withZones.stop() } }
        let withoutZones = try await Setup.start(group: self.group, hiddenZones: false) { _ in }
        defer { Task { await withoutZones.stop() } }
        func ask(_ setup: Setup, _ qname: String, _ type: String) throws -> String {
            let result = try ProcessRunner.run(kdig, [
                "@127.0.0.1", "-p", "\(setup.dotPort)", "+tls", "+tls-ca=\(setup.fixture.caPath)", "+tls-hostname=\(setup.fixture.serverName)",
                "+tls-certfile=\(setup.laptop.certificatePath)", "+tls-keyfile=\(setup.laptop.keyPath)", "+time=3", "+retry=0", qname, type,
            ])
            #expect(result.status == 0, "kdig: \(result.output) \(result.error)")
            // Everything but the ID and the measurements.
            return result.output.split(separator: "\n")
                .filter { !$0.hasPrefix(";; Received") && !$0.hasPrefix(";; Time") && !$0.hasPrefix(";; From") }
                .map { $0.replacing(/id: \d+/, with: "id: -") }
                .joined(separator: "\n")
        }
        for (qname, type) in [("x.secret.corp", "A"), ("secret.corp", "SOA"), ("x.secret.internal.corp", "A"), ("legacy.secret.internal.corp", "A")] {
            let hidden = try ask(withZones, qname, type)
            let absent = try ask(withoutZones, qname, type)
            #expect(hidden.contains("->>HEADER<<-"), "kdig got no reply: \(hidden)")
            #expect(hidden == absent, "\(qname) \(type)\nhidden:\n\(hidden)\nabsent:\n\(absent)")
        }
    }

    // MARK: -

    /// The same questions to a server holding the hidden zones and to one that never had them
    /// (same upstream, same state version, so the parent's SOA serial matches too).
    private func compareHiddenWithAbsent(_ configure: @escaping (inout ServerConfiguration) -> Void) async throws {
        let withZones = try await Setup.start(group: self.group, hiddenZones: true, configure: configure)
        defer { Task { await withZones.stop() } }
        let withoutZones = try await Setup.start(group: self.group, hiddenZones: false, configure: configure)
        defer { Task { await withoutZones.stop() } }
        #expect(try withZones.server.registry.stateVersion() == withoutZones.server.registry.stateVersion())
        for (index, (qname, type)) in Self.questions.enumerated() {
            let hidden = try await withZones.ask(qname, type, id: UInt16(index + 1))
            let absent = try await withoutZones.ask(qname, type, id: UInt16(index + 1000))
            Self.expectEqual(hidden, absent, "\(qname) \(type)")
        }
        #expect(withZones.server.statistics.snapshot().hiddenRefusals == Self.questions.count, "each hidden question is counted")
        #expect(withoutZones.server.statistics.snapshot().hiddenRefusals == 0)
    }

    /// Every field but the ID, one expectation per field so a failure says which.
    static func expectEqual(_ hidden: DNSMessage, _ absent: DNSMessage, _ label: String) {
        var hiddenHeader = hidden.header
        hiddenHeader.id = absent.header.id
        #expect(hidden.responseCode == absent.responseCode, "\(label): rcode")
        #expect(hiddenHeader == absent.header, "\(label): header flags \(hidden.header) vs \(absent.header)")
        #expect(hidden.questions == absent.questions, "\(label): question")
        #expect(hidden.answers == absent.answers, "\(label): answer \(hidden.answers) vs \(absent.answers)")
        #expect(hidden.authorities == absent.authorities, "\(label): authority \(hidden.authorities) vs \(absent.authorities)")
        #expect(hidden.additionals == absent.additionals, "\(label): additional")
        #expect(hidden.edns == absent.edns, "\(label): OPT \(String(describing: hidden.edns)) vs \(String(describing: absent.edns))")
        var same = hidden
        same.header.id = absent.header.id
        #expect(same == absent, "\(label): whole message")
    }
}

/// A server with `internal.corp` (laptop) and, with `hiddenZones`, `secret.corp` (admin only)
/// and the child zone `secret.internal.corp` (admin only); without them, two zones no question
/// touches stand in their place, so both servers reach the same state version. A DoT pool
/// presents laptop's certificate.
private struct Setup {
    let fixture: ServerFixture
    let server: ZTServer
    let laptop: TestPKI.Files
    let pool: DoTUpstreamPool
    let dotPort: Int

    static func start(group: EventLoopGroup, hiddenZones: Bool, configure: @escaping (inout ServerConfiguration) -> Void) async throws -> Setup {
        let fixture = try ServerFixture(configure: configure)
        let administration = fixture.administration
        let first = hiddenZones ? "secret.corp" : "elsewhere.test"
        let child = hiddenZones ? "secret.internal.corp" : "elsewhere.internal.test"
        try administration.addZone(first, records: ["vault A 198.51.100.99", "@ A 198.51.100.98"], allow: ["admin"], serviceCommonName: nil)
        try administration.addZone(
            "internal.corp", records: ["db A 198.51.100.7", "legacy.secret A 198.51.100.77"], allow: ["laptop"], serviceCommonName: nil
        )
        try administration.addZone(child, records: ["vault A 198.51.100.88", "@ A 198.51.100.89"], allow: ["admin"], serviceCommonName: nil)
        let laptop = try fixture.issue("laptop")
        _ = try fixture.issue("admin")
        let (server, addresses) = try await fixture.startServer(group: group)
        let pool = try fixture.makePool(client: laptop, servers: [addresses.dot], group: group, connectionsPerServer: 1)
        return Setup(fixture: fixture, server: server, laptop: laptop, pool: pool, dotPort: addresses.dot.port ?? 0)
    }

    func ask(_ qname: String, _ type: DNSRecordType, id: UInt16) async throws -> DNSMessage {
        try await self.pool.query(DNSMessage.query(id: id, name: name(qname), type: type, ednsPayloadSize: 1232), timeout: .seconds(3)).get()
    }

    func stop() async {
        self.pool.shutdown()
        await self.server.stop()
        self.fixture.remove()
    }
}

/// dnsmasq as the server's plain DNS upstream: NXDOMAIN for everything under `corp` (so the
/// hidden and the absent zone both reach it), REFUSED for the rest; every query logged.
private struct Dnsmasq {
    let process: BackgroundProcess
    let port: Int
    let log: String

    static func start(group: EventLoopGroup) async throws -> Dnsmasq {
        let binary = try PeerTool.require("dnsmasq")
        for _ in 0..<5 {
            let port = try await FreePort.udpAndTCP(group: group)
            let log = NSTemporaryDirectory() + "zt-hidden-dnsmasq-\(UUID().uuidString).log"
            let process = try BackgroundProcess(binary, [
                "-k", "-p", "\(port)", "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts",
                "--address=/corp/", "--log-queries", "--log-facility=\(log)", "--pid-file=",
            ])
            let upstream = Dnsmasq(process: process, port: port, log: log)
            let client = TestDNSClient(group: group)
            let address = try SocketAddress(ipAddress: "127.0.0.1", port: port)
            for _ in 0..<50 {
                if let reply = try? await client.udp(DNSMessage.query(id: 1, name: name("probe.corp."), type: .a), to: address, timeout: .milliseconds(200)),
                   reply.responseCode == .nameError {
                    return upstream
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            upstream.stop()
        }
        throw SetupFailure(description: "dnsmasq did not start answering in 5 tries")
    }

    var loggedQueries: String { (try? String(contentsOfFile: self.log, encoding: .utf8)) ?? "" }

    func stop() {
        self.process.stop()
        try? FileManager.default.removeItem(atPath: self.log)
    }
}

private enum FreePort {
    /// A port that was free a moment ago on 127.0.0.1 for both TCP and UDP.
    static func udpAndTCP(group: EventLoopGroup) async throws -> Int {
        for _ in 0..<20 {
            let tcp = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
            let port = tcp.localAddress?.port ?? 0
            let udp = try? await DatagramBootstrap(group: group).bind(host: "127.0.0.1", port: port).get()
            try? await udp?.close()
            try? await tcp.close()
            if udp != nil, port != 0 { return port }
        }
        throw SetupFailure(description: "no port free for both TCP and UDP in 20 tries")
    }
}

private struct SetupFailure: Error, CustomStringConvertible {
    let description: String
}
