import CertStore
import Crypto
import DNSTransport
import DNSWire
import Foundation
import NIOCore
import NIOPosix
import ServerLite
import StubResolver
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

@Suite(.serialized) struct ServerLiveTests {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)

    @Test func revocationClosesOpenConnectionsWithinASecond() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        try fixture.administration.addZone("corp.test", records: ["db A 203.0.113.50"], allow: ["laptop"], serviceCommonName: nil)
        let laptop = try fixture.issue("laptop")
        let (server, addresses) = try await fixture.startServer(group: self.group)
        let pool = try fixture.makePool(client: laptop, servers: [addresses.dot], group: self.group, connectionsPerServer: 1)
        defer { pool.shutdown() }

        let first = try await pool.query(DNSMessage.query(id: 1, name: name("db.corp.test."), type: .a), timeout: .seconds(2)).get()
        #expect(first.answers.count == 1)
        #expect(server.connections.countsByCommonName()["laptop"] == 1)

        try fixture.administration.revokeEndpoint("laptop")
        let revokedAt = ContinuousClock.now
        while server.connections.countsByCommonName()["laptop"] != nil, ContinuousClock.now - revokedAt < .seconds(3) {
            try await Task.sleep(for: .milliseconds(20))
        }
        let elapsed = ContinuousClock.now - revokedAt
        #expect(server.connections.countsByCommonName()["laptop"] == nil)
        #expect(elapsed < .seconds(1), "connection closed after \(elapsed)")

        // New connections with the revoked certificate are refused.
        await #expect(throws: (any Error).self) {
            try await pool.query(DNSMessage.query(id: 2, name: name("db.corp.test."), type: .a), timeout: .seconds(1)).get()
        }
        #expect(server.statistics.snapshot().connectionsRefusedRevoked >= 1)
        await server.stop()
    }

    @Test func unregisteredAndForeignCertificatesAreRefused() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        try fixture.administration.addZone("corp.test", records: ["db A 203.0.113.50"], allow: ["ghost", "laptop"], serviceCommonName: nil)
        let (server, addresses) = try await fixture.startServer(group: self.group)
        defer { Task { await server.stop() } }

        // Right CA, CN never registered.
        let authority = try CertificateAuthority.load(certificatePath: fixture.paths.caCertificate, keyPath: fixture.paths.caKey)
        let key = P256.Signing.PrivateKey()
        let ghost = try TLSIdentity(certificateChain: [try authority.issue(.client(commonName: "ghost", lifetime: 3600), publicKey: key.publicKey)], privateKey: key)
        let ghostPool = try fixture.makePool(client: TestPKI.Files(certificatePath: "", keyPath: "", identity: ghost), servers: [addresses.dot], group: self.group)
        defer { ghostPool.shutdown() }
        await #expect(throws: (any Error).self) {
            try await ghostPool.query(DNSMessage.query(id: 1, name: name("db.corp.test."), type: .a), timeout: .seconds(1)).get()
        }
        #expect(server.statistics.snapshot().connectionsRefusedUnknownEndpoint >= 1)

        // Another CA.
        let foreign = try TestPKI.foreignClient("laptop", in: fixture.directory + "/foreign")
        let foreignPool = try fixture.makePool(client: foreign, servers: [addresses.dot], group: self.group)
        defer { foreignPool.shutdown() }
        await #expect(throws: (any Error).self) {
            try await foreignPool.query(DNSMessage.query(id: 2, name: name("db.corp.test."), type: .a), timeout: .seconds(1)).get()
        }

        // Expired, from the right CA, registered CN.
        let expired = try fixture.issueExpired("laptop")
        let expiredPool = try fixture.makePool(client: expired, servers: [addresses.dot], group: self.group)
        defer { expiredPool.shutdown() }
        await #expect(throws: (any Error).self) {
            try await expiredPool.query(DNSMessage.query(id: 3, name: name("db.corp.test."), type: .a), timeout: .seconds(1)).get()
        }
        #expect(server.statistics.snapshot().tlsConnectionsAuthenticated == 0)
    }

    @Test func poolFailsOverThenStubServesStaleThenServfail() async throws {
        let fixture = try ServerFixture { $0.privateTTL = 1 }
        defer { fixture.remove() }
        try fixture.administration.addZone("corp.test", records: ["db A 203.0.113.50", "web A 203.0.113.51"], allow: ["laptop"], serviceCommonName: nil)
        let laptop = try fixture.issue("laptop")
        let (first, firstAddresses) = try await fixture.startServer(group: self.group)
        let (second, secondAddresses) = try await fixture.startServer(group: self.group)
        let pool = try fixture.makePool(client: laptop, servers: [firstAddresses.dot, secondAddresses.dot], group: self.group)
        defer { pool.shutdown() }
        let (stub, processor, udp, _) = try await fixture.startStub(upstream: pool, group: self.group, timeout: .seconds(1))
        defer { Task { await stub.stop() } }
        let client = TestDNSClient(group: self.group)

        let warm = try await client.udp(DNSMessage.query(id: 1, name: name("db.corp.test."), type: .a), to: udp)
        #expect(warm?.answers.first?.data == .a(IPv4Address(203, 0, 113, 50)))
        #expect(first.statistics.snapshot().privateAnswers == 1)

        await first.stop()
        try await Task.sleep(for: .milliseconds(1100))  // the cached answer expires (TTL 1)
        let failedOver = try await client.udp(DNSMessage.query(id: 2, name: name("db.corp.test."), type: .a), to: udp)
        #expect(failedOver?.responseCode == .noError)
        #expect(failedOver?.answers.first?.ttl == 1, "a fresh answer, from the second server")
        #expect(second.statistics.snapshot().privateAnswers >= 1)

        await second.stop()
        try await Task.sleep(for: .milliseconds(1100))
        let started = ContinuousClock.now
        let stale = try await client.udp(DNSMessage.query(id: 3, name: name("db.corp.test."), type: .a), to: udp)
        #expect(stale?.answers.first?.data == .a(IPv4Address(203, 0, 113, 50)))
        #expect(stale?.answers.first?.ttl == 30, "RFC 8767 stale TTL")
        let never = try await client.udp(DNSMessage.query(id: 4, name: name("web.corp.test."), type: .a), to: udp)
        #expect(never?.responseCode == .serverFailure)
        #expect(ContinuousClock.now - started < .seconds(3), "no query hangs past the timeout")
        #expect(processor.statistics.snapshot().staleAnswers >= 1)
        #expect(pool.failedCount >= 2, "the stale and the SERVFAIL query both failed upstream: \(pool.health())")
    }

    @Test func plainListenerForwardsPublicNamesAndHidesPrivateOnes() async throws {
        // A second ServerLite in plain mode plays the public upstream of the first.
        let upstreamFixture = try ServerFixture()
        defer { upstreamFixture.remove() }
        try upstreamFixture.administration.addZone("public.test", records: ["www A 192.0.2.10"], allow: [], serviceCommonName: nil)
        let (upstreamServer, upstreamAddresses) = try await upstreamFixture.startServer(group: self.group) { $0.plainListen = ["127.0.0.1:0"] }
        defer { Task { await upstreamServer.stop() } }
        let upstreamPort = try #require(upstreamAddresses.plainUDP.first?.port)

        let fixture = try ServerFixture { configuration in
            configuration.upstreamMode = .dns
            configuration.upstreamServers = ["127.0.0.1:\(upstreamPort)"]
        }
        defer { fixture.remove() }
        try fixture.administration.addZone("corp.test", records: [], allow: ["laptop"], serviceCommonName: nil)
        let (server, addresses) = try await fixture.startServer(group: self.group) { $0.plainListen = ["127.0.0.1:0"] }
        defer { Task { await server.stop() } }
        let client = TestDNSClient(group: self.group)
        let plain = try #require(addresses.plainUDP.first)
        // Plain clients have no identity: private zones are hidden from them, as if absent, so
        // the name goes upstream like any other (the upstream, knowing no corp.test, refuses it).
        let hidden = try #require(try await client.udp(DNSMessage.query(id: 1, name: name("corp.test."), type: .a), to: plain))
        let upstreamPlain = try #require(upstreamAddresses.plainUDP.first)
        var direct = try #require(try await client.udp(DNSMessage.query(id: 1, name: name("corp.test."), type: .a), to: upstreamPlain))
        direct.header.id = hidden.header.id
        #expect(hidden.responseCode == .refused)
        #expect(hidden == direct, "the hidden zone's answer is the upstream's answer for an unknown name")
        #expect(server.statistics.snapshot().hiddenRefusals == 1)
        // Public names are forwarded (the upstream hides its own zone from anonymous clients
        // too: what matters is that the answer came from upstream).
        let forwarded = try await client.udp(DNSMessage.query(id: 2, name: name("www.public.test."), type: .a), to: plain)
        #expect(forwarded?.header.id == 2)
        #expect(server.statistics.snapshot().forwarded == 2)
        #expect(upstreamServer.statistics.snapshot().queries >= 3)
    }
}
