import Agent
import DNSWire
import Foundation
import NIOPosix
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

/// Scrapes with curl, an independent HTTP client.
private func scrape(_ port: Int) async throws -> String {
    let curl = try PeerTool.require("curl")
    return try ProcessRunner.run(curl, ["-s", "--max-time", "5", "http://127.0.0.1:\(port)/metrics"]).output
}

/// The value of one sample line ("name{labels} value").
private func value(_ text: String, _ sample: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(sample + " ") {
        return Double(line.dropFirst(sample.count + 1))
    }
    return nil
}

@Suite(.serialized) struct MetricsTests {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)

    @Test func agentAndServerCountersMoveWithQueries() async throws {
        let stack = try await EnrollmentStack.start(group: self.group) { $0.metricsListen = "127.0.0.1:0" }
        defer { Task { await stack.stop() } }
        let serverMetrics = try #require(stack.addresses.metrics?.port)
        let state = stack.fixture.directory + "/agent"
        _ = try await stack.enroll(try await stack.token(), into: state)
        let agent = try await ZTAgent(configuration: AgentConfiguration(listen: ["127.0.0.1:0"], state: state, metricsListen: "127.0.0.1:0"), group: self.group)
        let bound = try #require(try await agent.start().first)
        defer { Task { await agent.stop() } }
        let agentMetrics = try #require(try await agent.startMetrics()?.port)

        let before = try await scrape(agentMetrics)
        let serverBefore = try await scrape(serverMetrics)
        let client = TestDNSClient(group: self.group)
        for id in 0..<5 {
            _ = try await client.udp(DNSMessage.query(id: UInt16(id), name: name("db.corp.test."), type: .a), to: bound.udp)
        }
        _ = try await client.udp(DNSMessage.query(id: 9, name: name("nope.corp.test."), type: .a), to: bound.udp)
        let after = try await scrape(agentMetrics)
        let serverAfter = try await scrape(serverMetrics)

        #expect(after.contains("# TYPE ztagent_answered_queries_total counter"))
        #expect(value(after, #"ztagent_answered_queries_total{type="A",rcode="noerror"}"#) == 5)
        #expect(value(after, #"ztagent_answered_queries_total{type="A",rcode="nxdomain"}"#) == 1)
        #expect((value(after, "ztagent_cache_hits_total") ?? 0) >= 4)
        #expect((value(after, "ztagent_cache_misses_total") ?? 0) >= 2)
        #expect(value(after, #"ztagent_query_duration_seconds_count{cache="hit"}"#) ?? 0 >= 4)
        #expect((value(after, "ztagent_upstream_tls_handshakes_total") ?? 0) >= 1)
        #expect(after.contains("ztagent_upstream_up{"))
        #expect(after.contains("ztagent_certificate_expiry_timestamp_seconds"))
        #expect((value(after, #"ztagent_received_queries_total{transport="udp"}"#) ?? 0) > (value(before, #"ztagent_received_queries_total{transport="udp"}"#) ?? 0))

        #expect((value(serverAfter, "ztserver_private_answers_total") ?? 0) > (value(serverBefore, "ztserver_private_answers_total") ?? 0))
        #expect((value(serverAfter, "ztserver_authenticated_connections_total") ?? 0) >= 1)
        #expect(serverAfter.contains(#"ztserver_authentication_failures_total{reason="revoked"}"#))
        #expect(value(serverAfter, "ztserver_dot_connections") ?? 0 >= 1)
    }
}
