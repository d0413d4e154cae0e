import CertStore
import DNSTransport
import DNSWire
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServerLite
import Testing
import TestSupport

/// A DoT server that goes away with many queries in flight, then comes back on the same port.
/// The pool must count that as one failure (not one per query in flight), so it tries the
/// restarted server after the first backoff step rather than after the cap.
@Suite(.serialized) struct UpstreamOutageBackoffTests {
    /// Drops every datagram: the server's public upstream, so public queries stay in flight at
    /// the server until the agent's side gives up or the connection breaks.
    final class BlackHole: ChannelInboundHandler, Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
    }

    @Test("100 queries in flight when the server stops: backoff escalates once, the restarted server answers within a second")
    func outageCountsOnce() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let blackHole = try await DatagramBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(BlackHole()) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let blackHolePort = try #require(blackHole.localAddress?.port)
        let fixture = try ServerFixture {
            $0.upstreamMode = .dns
            $0.upstreamServers = ["127.0.0.1:\(blackHolePort)"]
            $0.upstreamTimeoutSeconds = 20
        }
        try fixture.administration.addZone("corp.test", records: ["db A 203.0.113.50"], allow: ["laptop"], serviceCommonName: nil)
        let laptop = try fixture.issue("laptop")
        var (server, addresses) = try await fixture.startServer(group: group)
        let port = try #require(addresses.dot.port)

        var logger = Logger(label: "test.pool")
        logger.logLevel = .critical
        // The product's backoff start (0.25 s) with a long cap: were each failed query to
        // escalate, 100 of them would put the server out for the whole 30 s.
        let pool = try DoTUpstreamPool(
            configuration: .init(
                servers: [DoTServerEndpoint(address: addresses.dot, serverName: fixture.serverName)],
                initialBackoff: .milliseconds(250), maximumBackoff: .seconds(30)
            ),
            tls: try fixture.tlsSettings(for: laptop), group: group, logger: logger
        )
        defer {
            pool.shutdown()
            blackHole.close(promise: nil)
            fixture.remove()
        }

        // The connections are up: a private name answers.
        let warm = try await pool.query(DNSMessage.query(id: 1, name: try DNSName("db.corp.test."), type: .a), timeout: .seconds(3)).get()
        #expect(warm.responseCode == .noError)

        // 100 public queries go to the server, which holds them (its upstream never answers).
        let inFlight = try (0..<100).map { index in
            pool.query(DNSMessage.query(id: UInt16(index + 2), name: try DNSName("q\(index).example.test."), type: .a), timeout: .seconds(8))
        }
        try await Task.sleep(for: .milliseconds(300))
        let stoppedAt = ContinuousClock.now
        await server.stop()

        var failed = 0
        for future in inFlight {
            do { _ = try await future.get() } catch { failed += 1 }
        }
        let health = try #require(pool.health().first)
        print("outage: \(failed) of 100 in-flight queries failed after \(ContinuousClock.now - stoppedAt); consecutive failures \(health.consecutiveFailures)")
        // The failure path ran for them (the connection broke under them, nobody answered)...
        #expect(failed >= 90, "the queries in flight should fail when the server stops: \(failed) failed")
        // ...and counted as one outage.
        #expect(health.consecutiveFailures == 1, "one outage, \(health.consecutiveFailures) consecutive failures counted")

        // The server comes back on the same port: the pool uses it again after one backoff step.
        (server, addresses) = try await fixture.startServer(group: group) { $0.dotListen = "127.0.0.1:\(port)" }
        let restartedAt = ContinuousClock.now
        var answeredAfter: Duration?
        var attempt = 0
        while ContinuousClock.now - restartedAt < .seconds(10) {
            attempt += 1
            let answer = try? await pool.query(DNSMessage.query(id: 500, name: try DNSName("db.corp.test."), type: .a), timeout: .seconds(1)).get()
            if answer?.responseCode == .noError {
                answeredAfter = ContinuousClock.now - restartedAt
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        await server.stop()
        print("restart: first answer \(answeredAfter.map { "\($0)" } ?? "never") after the restart (\(attempt) attempts)")
        let after = try #require(answeredAfter, "the restarted server never answered through the pool")
        #expect(after < .seconds(1), "the restarted server answered only after \(after)")
    }
}
