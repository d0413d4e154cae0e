import Agent
import DNSTransport
import DNSWire
import Foundation
import NIOCore
import NIOPosix
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

/// dnsmasq playing the host's original resolver, logging every query it receives.
private final class OriginalResolver {
    let process: BackgroundProcess
    let port: Int
    let log: String

    init() throws {
        let probe = try ServerBootstrapPort.free()
        self.port = probe
        self.log = NSTemporaryDirectory() + "zt-dnsmasq-\(UUID().uuidString).log"
        self.process = try BackgroundProcess(try PeerTool.require("dnsmasq"), [
            "-k", "-p", "\(probe)", "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts",
            "--address=/public.test/192.0.2.10", "--log-queries", "--log-facility=\(self.log)",
        ])
    }

    var queries: String { (try? String(contentsOfFile: self.log, encoding: .utf8)) ?? "" }

    func stop() {
        self.process.stop()
        try? FileManager.default.removeItem(atPath: self.log)
    }
}

/// A free UDP+TCP port on loopback.
enum ServerBootstrapPort {
    static func free() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

@Suite(.serialized) struct PublicFailoverTests {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)

    /// A DoT pool whose only server is not there.
    func deadPool(_ fixture: ServerFixture) throws -> DoTUpstreamPool {
        let laptop = try fixture.issue("laptop")
        return try fixture.makePool(client: laptop, servers: [try SocketAddress(ipAddress: "127.0.0.1", port: try ServerBootstrapPort.free())], group: self.group)
    }

    @Test func failOpenSendsOnlyPublicNamesToTheOriginalResolvers() async throws {
        let original = try OriginalResolver()
        defer { original.stop() }
        try await Task.sleep(for: .milliseconds(300))
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        let pool = try self.deadPool(fixture)
        defer { pool.shutdown() }
        let fallback = PlainDNSUpstream(servers: [try SocketAddress(ipAddress: "127.0.0.1", port: original.port)], group: self.group)
        let upstream = PublicFailoverUpstream(primary: pool, fallback: fallback, privateSuffixes: ["corp.test"])
        let (stub, _, udp, _) = try await fixture.startStub(upstream: upstream, group: self.group, timeout: .seconds(2))
        defer { Task { await stub.stop() } }
        let client = TestDNSClient(group: self.group)

        let publicAnswer = try await client.udp(DNSMessage.query(id: 1, name: name("www.public.test."), type: .a), to: udp)
        #expect(publicAnswer?.answers.first?.data == .a(IPv4Address(192, 0, 2, 10)), "fail open: the original resolver answers public names")
        let privateAnswer = try await client.udp(DNSMessage.query(id: 2, name: name("db.corp.test."), type: .a), to: udp)
        #expect(privateAnswer?.responseCode == .serverFailure)
        let deep = try await client.udp(DNSMessage.query(id: 3, name: name("a.b.CORP.test."), type: .a), to: udp)
        #expect(deep?.responseCode == .serverFailure)
        try await Task.sleep(for: .milliseconds(200))
        #expect(original.queries.contains("www.public.test"))
        #expect(!original.queries.lowercased().contains("corp.test"), "a private name leaked to the original resolver:\n\(original.queries)")
    }

    @Test func failClosedAnswersServfail() async throws {
        let original = try OriginalResolver()
        defer { original.stop() }
        try await Task.sleep(for: .milliseconds(300))
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        let pool = try self.deadPool(fixture)
        defer { pool.shutdown() }
        let upstream = PublicFailoverUpstream(primary: pool, fallback: nil, privateSuffixes: ["corp.test"])
        let (stub, _, udp, _) = try await fixture.startStub(upstream: upstream, group: self.group, timeout: .seconds(1))
        defer { Task { await stub.stop() } }
        let answer = try await TestDNSClient(group: self.group).udp(DNSMessage.query(id: 1, name: name("www.public.test."), type: .a), to: udp)
        #expect(answer?.responseCode == .serverFailure)
        #expect(!original.queries.contains("public.test"), "fail closed sends nothing to the original resolvers")
    }
}
