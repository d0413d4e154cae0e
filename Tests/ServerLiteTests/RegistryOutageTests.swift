import DNSTransport
import DNSWire
import Foundation
import NIOPosix
import ServerLite
import Testing
import TestSupport

/// Issue 11: `reloadIfChanged` swallowed registry errors, so revocation polling could stop
/// without a trace. A registry that cannot be read is counted, and the state in force keeps
/// serving.
@Suite(.serialized) struct RegistryOutageTests {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)

    @Test func anUnreadableRegistryIsCountedAndTheStateInForceKeepsServing() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        try fixture.administration.addZone("corp.test", records: ["db A 203.0.113.50"], allow: ["laptop"], serviceCommonName: nil)
        let laptop = try fixture.issue("laptop")
        let (server, addresses) = try await fixture.startServer(group: self.group, reloadInterval: .milliseconds(50))
        let pool = try fixture.makePool(client: laptop, servers: [addresses.dot], group: self.group, connectionsPerServer: 1)
        defer { pool.shutdown() }
        _ = try await pool.query(DNSMessage.query(id: 1, name: try DNSName("db.corp.test."), type: .a), timeout: .seconds(2)).get()
        #expect(server.statistics.snapshot().registryReadFailures == 0)

        // Garbage over the database, its write-ahead log and its shared-memory index: the next
        // read transaction finds no valid database ("file is not a database").
        for suffix in ["", "-wal", "-shm"] {
            let path = fixture.paths.registry + suffix
            guard FileManager.default.fileExists(atPath: path) else { continue }
            let handle = try #require(FileHandle(forWritingAtPath: path))
            try handle.write(contentsOf: Data(repeating: 0x5A, count: 32_768))
            try handle.close()
        }
        let deadline = ContinuousClock.now + .seconds(3)
        while server.statistics.snapshot().registryReadFailures == 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(server.statistics.snapshot().registryReadFailures > 0, "the failing reload poll was not counted")
        let answer = try await pool.query(DNSMessage.query(id: 2, name: try DNSName("db.corp.test."), type: .a), timeout: .seconds(2)).get()
        #expect(answer.answers.count == 1, "the state in force keeps serving while the registry is away")
        await server.stop()
    }
}
