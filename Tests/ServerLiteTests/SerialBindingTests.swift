import CertStore
import Crypto
import DNSTransport
import DNSWire
import Foundation
import NIOCore
import NIOPosix
import ServerLite
import Testing
import TestSupport

/// Issue 11 item 1: a certificate is only as good as the registry says, by serial, not by CN.
@Suite(.serialized) struct SerialBindingTests {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)

    private func serial(_ files: TestPKI.Files) throws -> String {
        try #require(files.identity.certificateChain.first).serialText
    }

    @Test func registryBindsTheCurrentSerialAndThePreviousOneForItsGraceWindowOnly() throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        let first = try fixture.issue("laptop")
        let registry = try fixture.administration.registry()
        let now = Date()
        #expect(try registry.endpoint("laptop")?.admits(serial: try self.serial(first), at: now) == nil)

        let second = try fixture.renew(first, grace: 30)
        let record = try #require(try registry.endpoint("laptop"))
        #expect(record.certificateSerial == (try self.serial(second)))
        #expect(record.previousSerial == (try self.serial(first)))
        #expect(record.admits(serial: try self.serial(second), at: now) == nil)
        #expect(record.admits(serial: try self.serial(first), at: now) == nil, "the previous serial inside its grace window")
        #expect(record.admits(serial: try self.serial(first), at: now.addingTimeInterval(31)) == .staleSerial, "the previous serial after the grace window")
        #expect(record.admits(serial: "00ff", at: now) == .staleSerial)

        // The previous serial may renew again only while the current one was never used (the
        // answer to a renewal was lost): that renewal replaces the unused serial, and the grace
        // deadline does not move.
        let lostAnswer = try fixture.renew(first, grace: 30)
        let replaced = try #require(try registry.endpoint("laptop"))
        #expect(replaced.certificateSerial == (try self.serial(lostAnswer)))
        #expect(replaced.previousSerial == (try self.serial(first)))
        #expect(replaced.previousSerialValidUntil == record.previousSerialValidUntil, "the grace window was not extended")
        #expect(replaced.admits(serial: try self.serial(second), at: now) == .staleSerial, "the unused serial is dropped")
        // Once the current serial is used, only it renews: the previous one and a stranger's cannot.
        try registry.confirmCurrentSerial("laptop", serial: try self.serial(lostAnswer))
        #expect(throws: AdministrationError.self) { try fixture.renew(first) }
        #expect(throws: AdministrationError.self) { try fixture.renew(second) }
        let third = try fixture.renew(lostAnswer, grace: 30)
        let afterThird = try #require(try registry.endpoint("laptop"))
        #expect(afterThird.admits(serial: try self.serial(first), at: now) == .staleSerial, "two renewals back is refused at once")
        #expect(afterThird.admits(serial: try self.serial(lostAnswer), at: now) == nil)
        #expect(afterThird.admits(serial: try self.serial(third), at: now) == nil)

        // Revocation refuses every serial the CN ever had.
        #expect(try registry.revoke("laptop"))
        let revoked = try #require(try registry.endpoint("laptop"))
        for files in [first, second, lostAnswer, third] {
            #expect(revoked.admits(serial: try self.serial(files), at: now) == .revoked)
        }
        #expect(try registry.certificates(of: "laptop").map(\.serial) == [try self.serial(first), try self.serial(second), try self.serial(lostAnswer), try self.serial(third)])
        #expect(try registry.certificates(of: "laptop").map(\.cause) == ["issued", "renewed", "renewed", "renewed"])
    }

    @Test func anExistingNameNeedsReplaceAndReplacingNeverRevivesAnOldSerial() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        let original = try fixture.issue("laptop")
        let registry = try fixture.administration.registry()
        #expect(try registry.revoke("laptop"))
        let version = try registry.stateVersion()

        // Offline issuance and tokens for a name that exists are refused, and write nothing.
        #expect(throws: RegistryError.self) { try fixture.issue("laptop") }
        #expect(throws: RegistryError.self) { try fixture.issue("laptop", kind: .service) }
        await #expect(throws: RegistryError.self) { try await fixture.administration.createToken(name: "laptop", kind: .client) }
        #expect(try registry.stateVersion() == version, "a refused issue or token wrote nothing")
        #expect(try registry.tokens().isEmpty)
        #expect(try registry.endpoint("laptop")?.status == .revoked)
        #expect(FileManager.default.fileExists(atPath: original.certificatePath))

        // With replace: a new serial alone, active again; the old certificate stays refused.
        let replacement = try fixture.issue("laptop", replace: true)
        let record = try #require(try registry.endpoint("laptop"))
        #expect(record.status == .active)
        #expect(record.previousSerial == nil, "re-issuing grants the old serial no grace")
        #expect(record.admits(serial: try self.serial(original), at: Date()) == .staleSerial)
        #expect(record.admits(serial: try self.serial(replacement), at: Date()) == nil)
        _ = try await fixture.administration.createToken(name: "laptop", kind: .client, replace: true)
        #expect(try registry.tokens().count == 1)
    }

    @Test func aTokenMadeBeforeTheNameExistedDoesNotTakeItOver() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        _ = try await fixture.administration.createToken(name: "laptop", kind: .client)
        let token = try #require(try fixture.administration.registry().tokens().first)
        _ = try fixture.issue("laptop")
        let registry = try fixture.administration.registry()
        let outcome = try registry.enroll(tokenID: token.id, commonName: "laptop", kind: .client, serial: "abcdef", notAfter: Date().addingTimeInterval(600))
        #expect(outcome == .endpointExists)
        #expect(try registry.tokens().first?.consumedAt == nil, "the refused enrollment did not spend the token")
        #expect(try registry.endpoint("laptop")?.certificateSerial != "abcdef")
    }

    @Test func aCopiedCertificateIsRefusedOnDoTAfterRevokeAndReplaceAndItsOpenConnectionIsClosed() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        try fixture.administration.addZone("corp.test", records: ["db A 203.0.113.50"], allow: ["laptop"], serviceCommonName: nil)
        let stolen = try fixture.issue("laptop")
        let (server, addresses) = try await fixture.startServer(group: self.group)
        let thief = try fixture.makePool(client: stolen, servers: [addresses.dot], group: self.group, connectionsPerServer: 1)
        defer { thief.shutdown() }
        let before = try await thief.query(DNSMessage.query(id: 1, name: try DNSName("db.corp.test."), type: .a), timeout: .seconds(2)).get()
        #expect(before.answers.count == 1)

        // The operator re-issues the name (the thief's connection is open meanwhile).
        let replacement = try fixture.issue("laptop", replace: true)
        let deadline = ContinuousClock.now + .seconds(3)
        while server.connections.count > 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(server.connections.count == 0, "the copied certificate's open connection was closed when its serial was replaced")
        await #expect(throws: (any Error).self) {
            try await thief.query(DNSMessage.query(id: 2, name: try DNSName("db.corp.test."), type: .a), timeout: .seconds(1)).get()
        }
        #expect(server.statistics.snapshot().connectionsRefusedStaleSerial >= 1)

        let owner = try fixture.makePool(client: replacement, servers: [addresses.dot], group: self.group)
        defer { owner.shutdown() }
        let answer = try await owner.query(DNSMessage.query(id: 3, name: try DNSName("db.corp.test."), type: .a), timeout: .seconds(2)).get()
        #expect(answer.answers.count == 1)
        await server.stop()
    }

    @Test func thePreviousSerialsConnectionsCloseWhenTheGraceWindowEnds() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        try fixture.administration.addZone("corp.test", records: ["db A 203.0.113.50"], allow: ["laptop"], serviceCommonName: nil)
        let old = try fixture.issue("laptop")
        let (server, addresses) = try await fixture.startServer(group: self.group)
        let pool = try fixture.makePool(client: old, servers: [addresses.dot], group: self.group, connectionsPerServer: 1)
        defer { pool.shutdown() }
        _ = try await pool.query(DNSMessage.query(id: 1, name: try DNSName("db.corp.test."), type: .a), timeout: .seconds(2)).get()

        let renewedAt = ContinuousClock.now
        _ = try fixture.renew(old, grace: 1.5)
        // Inside the grace window the old certificate still answers (queries in flight survive).
        try await Task.sleep(for: .milliseconds(500))
        let inside = try await pool.query(DNSMessage.query(id: 2, name: try DNSName("db.corp.test."), type: .a), timeout: .seconds(2)).get()
        #expect(inside.answers.count == 1)
        #expect(server.connections.count == 1)
        // Then its connection is closed and new handshakes are refused.
        while server.connections.count > 0, ContinuousClock.now - renewedAt < .seconds(4) { try await Task.sleep(for: .milliseconds(20)) }
        let closedAfter = ContinuousClock.now - renewedAt
        #expect(server.connections.count == 0)
        #expect(closedAfter >= .seconds(1.5) && closedAfter < .seconds(2.5), "closed \(closedAfter) after the renewal (grace 1.5 s)")
        await #expect(throws: (any Error).self) {
            try await pool.query(DNSMessage.query(id: 3, name: try DNSName("db.corp.test."), type: .a), timeout: .seconds(1)).get()
        }
        #expect(server.statistics.snapshot().connectionsRefusedStaleSerial >= 1)
        await server.stop()
    }
}
