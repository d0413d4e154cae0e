import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The router with real peers (psql, redis-cli, curl, openssl, dig) and real backends
/// (PostgreSQL, Redis, an HTTP server, an HTTPS server with its own key), in network and mount
/// namespaces the script creates. Needs root (CI runs as root): without it the test fails with
/// the reason, it never passes by skipping.
@Suite("TLS router end to end in namespaces (psql, redis-cli, curl)", .serialized)
struct RouterNamespaceTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("scripts/router-namespace.sh").path

    @Test("intercept, tunnel, passthrough, ACLs, reverse tunnel and restarts with real clients and servers")
    func routerEndToEnd() async throws {
        try #require(getuid() == 0, "needs root to create network and mount namespaces (CI runs the tests as root)")
        let result = try await runTool("/bin/bash", [Self.script, try Peers.ztserver(), try Peers.ztagent()], timeout: 240)
        let output = result.stdout
        #expect(result.status == 0, "\(output)\n\(result.stderr.suffix(3000))")
        for check in [
            "service mode: db, cache, web registered",
            "a service endpoint cannot claim a name outside its zones",
            "db.svc.corp.test resolves to 127.77.",
            "psql -h db.svc.corp.test: 42",
            "redis-cli -h cache.svc.corp.test: set and get",
            "curl http://web.svc.corp.test/: the backend's page",
            "one audit line per tunnel",
            "router and intercept metrics counted the connections",
            "a service endpoint cannot aim the router at link-local, ::1 or the server's own address",
            "c-other: the answer of a name in no zone, no grant in its config, its tunnel closed",
            "curl --resolve to the passthrough port reached the HTTPS backend",
            "a wrong SNI, and a route not marked passthrough, are refused",
            "the router never had the backend's key",
            "reverse tunnel: psql and redis-cli reach backends in a namespace the router cannot reach",
            "service agent stopped: new connections fail cleanly",
            "service agent restarted: psql and redis-cli work again",
            "intercept addresses stay the same across an agent restart",
        ] {
            #expect(output.contains("ok: \(check)"), "missing: \(check)\n\(output)")
        }
        #expect(output.contains("PASS"))
    }
}
