import Foundation
import Prometheus
import Telemetry

/// The server's Prometheus metrics, copied from its counters at scrape time.
public final class ServerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let totals: [String: MonotonicCounter]
    private let routerConnections: MonotonicCounterFamily
    private let routerBytes: MonotonicCounterFamily
    private let routerBackendFailures: MonotonicCounterFamily
    private let routerRefusals: MonotonicCounterFamily
    private let admissionRefusals: MonotonicCounterFamily

    public init() {
        let registry = self.registry
        self.routerConnections = MonotonicCounterFamily(registry: registry, name: "ztserver_router_connections_total")
        self.routerBytes = MonotonicCounterFamily(registry: registry, name: "ztserver_router_bytes_total")
        self.routerBackendFailures = MonotonicCounterFamily(registry: registry, name: "ztserver_router_backend_failures_total")
        self.routerRefusals = MonotonicCounterFamily(registry: registry, name: "ztserver_router_refusals_total")
        self.admissionRefusals = MonotonicCounterFamily(registry: registry, name: "ztserver_connection_admission_refusals_total")
        func total(_ name: String, _ labels: [(String, String)] = []) -> MonotonicCounter {
            MonotonicCounter(registry.makeCounter(name: name, labels: labels))
        }
        self.totals = [
            "queries": total("ztserver_queries_total"),
            "private": total("ztserver_private_answers_total"),
            "hidden": total("ztserver_hidden_refusals_total"),
            "forwarded": total("ztserver_forwarded_queries_total"),
            "upstreamFailures": total("ztserver_upstream_failures_total"),
            "formerr": total("ztserver_malformed_queries_total", [("action", "formerr")]),
            "dropped": total("ztserver_malformed_queries_total", [("action", "dropped")]),
            "accepted": total("ztserver_tls_handshakes_total"),
            "authenticated": total("ztserver_authenticated_connections_total"),
            "unknown": total("ztserver_authentication_failures_total", [("reason", "unknown_endpoint")]),
            "revoked": total("ztserver_authentication_failures_total", [("reason", "revoked")]),
            "badCertificate": total("ztserver_authentication_failures_total", [("reason", "bad_certificate")]),
            "staleSerial": total("ztserver_authentication_failures_total", [("reason", "stale_serial")]),
            "apiUnknown": total("ztserver_api_identity_refusals_total", [("reason", "unknown_endpoint")]),
            "apiRevoked": total("ztserver_api_identity_refusals_total", [("reason", "revoked")]),
            "apiStaleSerial": total("ztserver_api_identity_refusals_total", [("reason", "stale_serial")]),
            "registryReadFailures": total("ztserver_registry_read_failures_total"),
            "refusedBackends": total("ztserver_service_backend_refusals_total"),
        ]
    }

    /// Copies the server's counters and state into the registry (before a scrape).
    public func collect(from server: ZTServer) {
        let stats = server.statistics.snapshot()
        self.totals["queries"]?.update(to: stats.queries)
        self.totals["private"]?.update(to: stats.privateAnswers)
        self.totals["hidden"]?.update(to: stats.hiddenRefusals)
        self.totals["refusedBackends"]?.update(to: stats.refusedBackends)
        self.totals["forwarded"]?.update(to: stats.forwarded)
        self.totals["upstreamFailures"]?.update(to: stats.upstreamFailures)
        self.totals["formerr"]?.update(to: stats.formatErrors)
        self.totals["dropped"]?.update(to: stats.droppedMalformed)
        self.totals["accepted"]?.update(to: stats.tlsConnectionsAccepted)
        self.totals["authenticated"]?.update(to: stats.tlsConnectionsAuthenticated)
        self.totals["unknown"]?.update(to: stats.connectionsRefusedUnknownEndpoint)
        self.totals["revoked"]?.update(to: stats.connectionsRefusedRevoked)
        self.totals["badCertificate"]?.update(to: stats.connectionsRefusedNoCertificate)
        self.totals["staleSerial"]?.update(to: stats.connectionsRefusedStaleSerial)
        self.totals["apiUnknown"]?.update(to: stats.apiRefusedUnknownEndpoint)
        self.totals["apiRevoked"]?.update(to: stats.apiRefusedRevoked)
        self.totals["apiStaleSerial"]?.update(to: stats.apiRefusedStaleSerial)
        self.totals["registryReadFailures"]?.update(to: stats.registryReadFailures)
        self.registry.makeGauge(name: "ztserver_dot_connections").set(Int64(server.connections.count))
        let snapshot = server.resolver.snapshot
        self.registry.makeGauge(name: "ztserver_zones").set(Int64(snapshot.zones.count))
        self.registry.makeGauge(name: "ztserver_endpoints", labels: [("status", "active")]).set(Int64(snapshot.endpoints.values.filter { $0.status == .active }.count))
        let router = server.router.statistics
        for (service, counts) in router.services {
            self.routerConnections.update([("service", service)], to: counts.connections)
            self.routerBytes.update([("service", service), ("direction", "from_client")], to: counts.bytesFromClients)
            self.routerBytes.update([("service", service), ("direction", "from_backend")], to: counts.bytesFromBackend)
            self.routerBackendFailures.update([("service", service)], to: counts.backendFailures)
        }
        for (reason, count) in router.refusals {
            self.routerRefusals.update([("reason", reason)], to: count)
        }
        for listener in ["tunnel", "passthrough"] {
            self.registry.makeGauge(name: "ztserver_router_open_connections", labels: [("listener", listener)]).set(Int64(router.openByListener[listener] ?? 0))
        }
        for gate in server.admissionGates {
            for (reason, count) in gate.refusals {
                self.admissionRefusals.update([("listener", gate.listener), ("reason", reason.rawValue)], to: count)
            }
            self.registry.makeGauge(name: "ztserver_handshaking_connections", labels: [("listener", gate.listener)]).set(Int64(gate.state.unauthenticated))
        }
        self.registry.makeGauge(name: "ztserver_router_reverse_tunnels").set(Int64(server.router.reverseRoutesServed.count))
        self.registry.makeGauge(name: "ztserver_endpoints", labels: [("status", "revoked")]).set(Int64(snapshot.endpoints.values.filter { $0.status == .revoked }.count))
    }
}
