import DNSWire
import Foundation
import NIOConcurrencyHelpers
import Prometheus
import StubResolver
import Telemetry
import ZTProtocol

/// The agent's Prometheus metrics (names follow Prometheus conventions: `_total` counters,
/// `_seconds` durations). Per-query figures arrive through ``QueryObserver``; the rest is
/// copied from the agent's counters at scrape time by ``collect(from:)``.
public final class AgentMetrics: QueryObserver, Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let queryCounters = NIOLockedValueBox<[String: Counter]>([:])
    private let hitLatency: DurationHistogram
    private let missLatency: DurationHistogram
    private let totals: [String: MonotonicCounter]
    private static let buckets: [Duration] = [
        .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
    ]
    private static let knownTypes: Set<String> = ["A", "AAAA", "CNAME", "NS", "SOA", "PTR", "MX", "TXT", "SRV", "HTTPS", "SVCB", "ANY", "CAA", "DS", "DNSKEY"]

    public init() {
        self.hitLatency = self.registry.makeDurationHistogram(name: "ztagent_query_duration_seconds", labels: [("cache", "hit")], buckets: Self.buckets)
        self.missLatency = self.registry.makeDurationHistogram(name: "ztagent_query_duration_seconds", labels: [("cache", "miss")], buckets: Self.buckets)
        let registry = self.registry
        func total(_ name: String, _ labels: [(String, String)] = []) -> MonotonicCounter {
            MonotonicCounter(registry.makeCounter(name: name, labels: labels))
        }
        self.totals = [
            "udp": total("ztagent_received_queries_total", [("transport", "udp")]),
            "tcp": total("ztagent_received_queries_total", [("transport", "tcp")]),
            "hits": total("ztagent_cache_hits_total"),
            "misses": total("ztagent_cache_misses_total"),
            "coalesced": total("ztagent_coalesced_queries_total"),
            "stale": total("ztagent_stale_answers_total"),
            "servfail": total("ztagent_servfail_answers_total"),
            "formerr": total("ztagent_malformed_queries_total", [("action", "formerr")]),
            "dropped": total("ztagent_malformed_queries_total", [("action", "dropped")]),
            "truncated": total("ztagent_truncated_answers_total"),
            "tcpRefused": total("ztagent_tcp_connections_refused_total"),
            "upstreamFailures": total("ztagent_upstream_failures_total"),
            "handshakes": total("ztagent_upstream_tls_handshakes_total"),
            "rejections": total("ztagent_identity_rejections_total"),
            "renewals": total("ztagent_certificate_renewals_total"),
            "renewalFailures": total("ztagent_certificate_renewal_failures_total"),
            "configUpdates": total("ztagent_config_updates_total"),
            "interceptAccepted": total("ztagent_intercept_connections_total"),
            "interceptFailures": total("ztagent_intercept_router_failures_total"),
            "interceptOwnerRefused": total("ztagent_intercept_connections_refused_total", [("reason", "user_not_allowed")]),
            "interceptOwnerUnknown": total("ztagent_intercept_connections_refused_total", [("reason", "user_unknown")]),
            "interceptSent": total("ztagent_intercept_bytes_total", [("direction", "to_router")]),
            "interceptReceived": total("ztagent_intercept_bytes_total", [("direction", "from_router")]),
        ]
        // Every documented family is present from the first scrape (docs/cli.md, checked by the
        // documentation test): the commonest answers are exported at 0 before the first query.
        self.queryCounters.withLockedValue { counters in
            for type in ["A", "AAAA"] {
                for rcode in ["noerror", "nxdomain", "servfail"] {
                    counters[type + "/" + rcode] = registry.makeCounter(name: "ztagent_answered_queries_total", labels: [("type", type), ("rcode", rcode)])
                }
            }
        }
    }

    public func observe(type: DNSRecordType, responseCode: DNSResponseCode, cacheHit: Bool, duration: Duration) {
        let typeLabel = Self.knownTypes.contains(type.description) ? type.description : "other"
        let rcodeLabel = responseCode.description.lowercased()
        let key = typeLabel + "/" + rcodeLabel
        let counter = self.queryCounters.withLockedValue { counters -> Counter in
            if let existing = counters[key] { return existing }
            let made = self.registry.makeCounter(name: "ztagent_answered_queries_total", labels: [("type", typeLabel), ("rcode", rcodeLabel)])
            counters[key] = made
            return made
        }
        counter.increment()
        (cacheHit ? self.hitLatency : self.missLatency).record(duration)
    }

    /// Copies the agent's counters and state into the registry (before a scrape).
    public func collect(from agent: ZTAgent) async {
        let stats = agent.processor.statistics.snapshot()
        self.totals["udp"]?.update(to: stats.udpQueries)
        self.totals["tcp"]?.update(to: stats.tcpQueries)
        self.totals["hits"]?.update(to: stats.cacheHits)
        self.totals["misses"]?.update(to: stats.cacheMisses)
        self.totals["coalesced"]?.update(to: stats.coalesced)
        self.totals["stale"]?.update(to: stats.staleAnswers)
        self.totals["servfail"]?.update(to: stats.serverFailures)
        self.totals["formerr"]?.update(to: stats.formatErrors)
        self.totals["dropped"]?.update(to: stats.droppedMalformed)
        self.totals["truncated"]?.update(to: stats.truncatedAnswers)
        self.totals["tcpRefused"]?.update(to: stats.tcpConnectionsRefused)
        self.totals["upstreamFailures"]?.update(to: stats.upstreamFailures)
        let pool = agent.pool
        self.totals["handshakes"]?.update(to: pool.connectionsOpenedCount)
        self.totals["rejections"]?.update(to: pool.identityRejectionCount)
        self.registry.makeGauge(name: "ztagent_cache_entries").set(Int64(agent.cache.count))
        if let intercept = agent.intercept {
            let counts = intercept.statistics.current
            self.totals["interceptAccepted"]?.update(to: counts.accepted)
            self.totals["interceptFailures"]?.update(to: counts.routerFailures)
            self.totals["interceptOwnerRefused"]?.update(to: counts.ownerRefusals)
            self.totals["interceptOwnerUnknown"]?.update(to: counts.ownerUnknown)
            self.totals["interceptSent"]?.update(to: counts.bytesSent)
            self.totals["interceptReceived"]?.update(to: counts.bytesReceived)
            self.registry.makeGauge(name: "ztagent_intercept_open_connections").set(Int64(counts.open))
            self.registry.makeGauge(name: "ztagent_intercept_listeners").set(Int64(counts.listeners))
        }
        self.registry.makeGauge(name: "ztagent_tcp_connections").set(Int64(agent.stub.openTCPConnectionCount))
        for server in pool.health() {
            let label = [("server", "\(server.endpoint.serverName)@\(server.endpoint.address.ipAddress ?? "?"):\(server.endpoint.address.port ?? 0)")]
            self.registry.makeGauge(name: "ztagent_upstream_up", labels: label).set(Int64(server.isUp ? 1 : 0))
            self.registry.makeGauge(name: "ztagent_upstream_connections", labels: label).set(Int64(server.openConnections))
            self.registry.makeGauge(name: "ztagent_upstream_rtt_seconds", labels: label).set((server.smoothedLatencyMilliseconds ?? 0) / 1000)
        }
        if let manager = agent.identityManager {
            let statistics = await manager.statistics
            self.totals["renewals"]?.update(to: statistics.renewals)
            self.totals["renewalFailures"]?.update(to: statistics.renewalFailures)
            self.totals["configUpdates"]?.update(to: statistics.configUpdates)
            // Every reason at 0 from the start, so the family exists before the first refusal.
            for reason in Set(ConfigRejection.reasons).union(statistics.configRejections.keys) {
                self.registry.makeGauge(name: "ztagent_config_rejections", labels: [("reason", reason)]).set(Int64(statistics.configRejections[reason] ?? 0))
            }
            self.registry.makeGauge(name: "ztagent_config_version").set(await manager.config.version)
            let identity = await manager.identity
            self.registry.makeGauge(name: "ztagent_certificate_expiry_timestamp_seconds").set(identity.notValidAfter.timeIntervalSince1970)
        }
    }
}
