import Agent
import DNSWire
import Foundation
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

@Suite(.serialized) struct StatusTests {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)

    @Test func statusJSONOverTheControlSocketHasEveryField() async throws {
        let stack = try await EnrollmentStack.start(group: self.group)
        defer { Task { await stack.stop() } }
        let state = stack.fixture.directory + "/agent"
        _ = try await stack.enroll(try await stack.token(), into: state)
        let agent = try await ZTAgent(configuration: AgentConfiguration(listen: ["127.0.0.1:0"], state: state), group: self.group)
        let bound = try #require(try await agent.start().first)
        defer { Task { await agent.stop() } }
        let client = TestDNSClient(group: self.group)
        for id in 0..<3 {
            _ = try await client.udp(DNSMessage.query(id: UInt16(id), name: name("db.corp.test."), type: .a), to: bound.udp)
        }
        agent.networkChanged([])

        let data = try await ControlSocketServer.read(path: state + "/control.sock", group: self.group)
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let identity = try #require(json["identity"] as? [String: Any])
        #expect(identity["commonName"] as? String == "laptop")
        #expect(identity["certificateNotAfter"] is String)
        #expect((identity["certificateSerial"] as? String)?.isEmpty == false)
        let config = try #require(json["config"] as? [String: Any])
        #expect((config["version"] as? Int ?? 0) >= 1)
        #expect(config["privateSuffixes"] as? [String] == ["corp.test"])
        let upstreams = try #require(json["upstreams"] as? [[String: Any]])
        #expect(upstreams.count == 1)
        #expect(upstreams.first?["up"] as? Bool == true)
        #expect((upstreams.first?["rttMilliseconds"] as? Double ?? 0) > 0)
        let cache = try #require(json["cache"] as? [String: Any])
        #expect(cache["hits"] as? Int == 2)
        #expect((cache["hitRate"] as? Double ?? 0) > 0.6)
        let queries = try #require(json["queries"] as? [String: Any])
        #expect(queries["queries"] as? Int == 3)
        #expect(queries["serverFailures"] as? Int == 0)
        let resolver = try #require(json["resolver"] as? [String: Any])
        #expect(resolver["mode"] is String)
        #expect(resolver["applied"] is Bool)
        let network = try #require(json["network"] as? [String: Any])
        #expect(network["changes"] as? Int == 1)
        #expect(network["lastChange"] is String)
        #expect((json["listening"] as? [String])?.first?.hasPrefix("udp=127.0.0.1:") == true)

        let attributes = try FileManager.default.attributesOfItem(atPath: state + "/control.sock")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }
}
