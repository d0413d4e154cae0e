import Agent
import CertStore
import DNSWire
import Foundation
import NIOCore
import NIOPosix
import ServerLite
import Testing
import TestSupport
import ZTProtocol

/// A name the test spells; a typo fails the test instead of quietly becoming the root.
private func name(_ text: String) -> DNSName {
    do {
        return try DNSName(text)
    } catch {
        Issue.record("'\(text)' is not a valid name: \(error)")
        return .root
    }
}

/// A real server in this process with its API on an ephemeral port, and tokens naming it.
struct EnrollmentStack {
    let fixture: ServerFixture
    let server: ZTServer
    let addresses: ServerBoundAddresses
    let group: EventLoopGroup

    static func start(group: EventLoopGroup, configure: @escaping (inout ServerConfiguration) -> Void = { _ in }) async throws -> EnrollmentStack {
        let fixture = try ServerFixture(configure: configure)
        try fixture.administration.addZone("corp.test", records: ["db A 203.0.113.50", "web A 203.0.113.51"], allow: ["laptop"], serviceCommonName: nil)
        let (server, addresses) = try await fixture.startServer(group: group)
        // Tokens must name the API where it really listens.
        let store = ServerStateStore(paths: fixture.paths)
        var configuration = try store.loadConfiguration()
        configuration.apiAdvertise = "127.0.0.1:\(addresses.api.port ?? 0)"
        try store.saveConfiguration(configuration)
        return EnrollmentStack(fixture: fixture, server: server, addresses: addresses, group: group)
    }

    func token(_ name: String = "laptop", lifetime: TimeInterval? = nil) async throws -> String {
        try await self.fixture.administration.createToken(name: name, kind: .client, lifetime: lifetime)
    }

    func enroll(_ token: String, into directory: String) async throws -> Enroller.Result {
        try await Enroller(paths: AgentStatePaths(directory: directory), client: EnrollmentClient(group: self.group)).enroll(token: token)
    }

    func stop() async {
        await self.server.stop()
        self.fixture.remove()
    }
}

@Suite(.serialized) struct IdentityLifecycleTests {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)

    @Test func enrollRunRenewRefuseRevoke() async throws {
        let stack = try await EnrollmentStack.start(group: self.group)
        defer { Task { await stack.stop() } }
        let state = stack.fixture.directory + "/agent"
        let result = try await stack.enroll(try await stack.token(), into: state)
        #expect(result.commonName == "laptop")

        // The key was made here and never sent: it appears in no server file.
        let identityText = try String(contentsOfFile: state + "/identity.pem", encoding: .utf8)
        let keyBody = identityText.components(separatedBy: "-----").dropFirst(2).first?.replacingOccurrences(of: "\n", with: "") ?? ""
        #expect(keyBody.count > 40)
        for file in try FileManager.default.subpathsOfDirectory(atPath: stack.fixture.paths.directory) {
            let data = (try? Data(contentsOf: URL(fileURLWithPath: stack.fixture.paths.directory + "/" + file))) ?? Data()
            #expect(!String(decoding: data, as: UTF8.self).contains(keyBody), "the private key appears in \(file)")
        }

        let agent = try await ZTAgent(configuration: AgentConfiguration(listen: ["127.0.0.1:0"], state: state), group: self.group)
        let bound = try #require(try await agent.start().first)
        defer { Task { await agent.stop() } }
        let client = TestDNSClient(group: self.group)
        let answer = try await client.udp(DNSMessage.query(id: 1, name: name("db.corp.test."), type: .a), to: bound.udp)
        let servers = await agent.identityManager?.config.servers ?? []
        #expect(answer?.answers.first?.data == .a(IPv4Address(203, 0, 113, 50)), "\(String(describing: answer)) servers \(servers) dot \(stack.addresses.dot)")

        // Renewal: a new key and certificate, stored and used; queries keep working.
        let manager = try #require(agent.identityManager)
        let before = await manager.identity
        try await manager.renew()
        let after = await manager.identity
        #expect(after.leaf.serialNumber != before.leaf.serialNumber)
        #expect(after.privateKey.publicKey.rawRepresentation != before.privateKey.publicKey.rawRepresentation)
        let onDisk = try AgentIdentityFile.load(state + "/identity.pem")
        #expect(onDisk.leaf.serialNumber == after.leaf.serialNumber)
        let web = try await client.udp(DNSMessage.query(id: 2, name: name("web.corp.test."), type: .a), to: bound.udp)
        #expect(web?.answers.first?.data == .a(IPv4Address(203, 0, 113, 51)))

        // A refused config changes nothing, in memory or on disk.
        let configBefore = try String(contentsOfFile: state + "/config.jwt", encoding: .utf8)
        let versionBefore = await manager.config.version
        for bad in ["garbage", "a.b.c", configBefore.replacingOccurrences(of: ".", with: "x")] {
            guard case .failure = await manager.apply(configToken: bad) else {
                Issue.record("accepted \(bad.prefix(20))")
                continue
            }
        }
        #expect(try String(contentsOfFile: state + "/config.jwt", encoding: .utf8) == configBefore)
        #expect(await manager.config.version == versionBefore)
        #expect(await manager.statistics.configRejections.values.reduce(0, +) == 3)
        #expect(await manager.refreshConfig(), "a refresh from the server is accepted")

        // Revocation: the cached private answer stops within a second.
        try stack.fixture.administration.revokeEndpoint("laptop")
        let revokedAt = ContinuousClock.now
        var stopped = false
        while ContinuousClock.now - revokedAt < .seconds(3) {
            let cached = try await client.udp(DNSMessage.query(id: 3, name: name("db.corp.test."), type: .a), to: bound.udp)
            if cached?.responseCode == .serverFailure || cached?.answers.isEmpty == true {
                stopped = true
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let elapsed = ContinuousClock.now - revokedAt
        #expect(stopped)
        #expect(elapsed < .seconds(1), "private answers stopped after \(elapsed)")
        #expect(agent.pool.identityRejectionCount >= 1)
        // And renewing is refused now.
        await #expect(throws: (any Error).self) { try await manager.renew() }
    }

    @Test func tokensAreOneTimeAndExpire() async throws {
        let stack = try await EnrollmentStack.start(group: self.group)
        defer { Task { await stack.stop() } }
        let token = try await stack.token()
        _ = try await stack.enroll(token, into: stack.fixture.directory + "/first")
        await #expect(throws: EnrollmentError.self) { _ = try await stack.enroll(token, into: stack.fixture.directory + "/second") }
        #expect(!FileManager.default.fileExists(atPath: stack.fixture.directory + "/second/identity.pem"))

        let short = try await stack.token("laptop-2", lifetime: 1)
        try await Task.sleep(for: .milliseconds(1500))
        do {
            _ = try await stack.enroll(short, into: stack.fixture.directory + "/third")
            Issue.record("an expired token enrolled")
        } catch let error as EnrollmentError {
            #expect("\(error)".contains("expired"), "\(error)")
        }
    }

    @Test func concurrentUseOfOneTokenEnrollsOnce() async throws {
        let stack = try await EnrollmentStack.start(group: self.group)
        defer { Task { await stack.stop() } }
        let token = try await stack.token()
        let successes = await withTaskGroup(of: Bool.self) { tasks in
            for index in 0..<10 {
                tasks.addTask {
                    (try? await stack.enroll(token, into: stack.fixture.directory + "/race-\(index)")) != nil
                }
            }
            return await tasks.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(successes == 1)
    }
}
