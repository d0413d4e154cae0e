import Foundation
import NIOCore
import NIOPosix
@testable import ServerLite
import Testing
import TestSupport
import ZTProtocol

/// Routes cannot aim the router at itself: the policy, service registration through the
/// enrollment service of a real server, and operator routes.
@Suite(.serialized) struct BackendNetworkPolicyTests {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    static func route(_ host: String, allow: [String] = []) -> RouteDefinition {
        RouteDefinition(name: "db", serviceCommonName: "s-db", host: host, port: 5432, domains: ["db.svc.test"], allowNetworks: allow)
    }

    /// A non-loopback address of one of this host's interfaces (nil when it has none).
    static func ownInterfaceAddress() -> String? {
        ((try? System.enumerateDevices()) ?? []).compactMap { $0.address?.ipAddress }.first { address in
            !address.hasPrefix("127.") && address != "::1" && !address.lowercased().hasPrefix("fe80")
        }
    }

    @Test func networksParse() throws {
        for good in ["10.0.0.0/8", "127.0.0.1", "::1", "fe80::/10", "0.0.0.0/0", "2001:db8::/32"] {
            #expect(IPNetwork(good) != nil, "\(good)")
        }
        for bad in ["10.0.0.1/8", "10.0.0.0/33", "::/129", "nope", "10.0.0.0/", "/8", "10.0.0.0/8/1", "10.0.0.0/+8"] {
            #expect(IPNetwork(bad) == nil, "\(bad)")
        }
    }

    @Test func refusedByDefault() throws {
        let policy = BackendNetworkPolicy()
        for (host, expected) in [
            ("127.0.0.1", BackendAddressRefusal.loopback("127.0.0.1")), ("127.9.8.7", .loopback("127.9.8.7")), ("::1", .loopback("::1")),
            ("::ffff:127.0.0.1", .loopback("::ffff:127.0.0.1")),
            ("169.254.1.1", .linkLocal("169.254.1.1")), ("fe80::1", .linkLocal("fe80::1")),
            ("0.0.0.0", .unspecified("0.0.0.0")), ("::", .unspecified("::")),
        ] {
            #expect(throws: expected, "\(host)") { try policy.check(host: host, port: 5432, for: Self.route(host)) }
        }
        #expect(throws: BackendAddressRefusal.self, "localhost resolves to loopback") {
            try policy.check(host: "localhost", port: 5432, for: Self.route("localhost"))
        }
        #expect(throws: BackendAddressRefusal.unresolvable("name.invalid")) {
            try policy.check(host: "name.invalid", port: 5432, for: Self.route("name.invalid"))
        }
        #expect(try policy.check(host: "192.0.2.10", port: 5432, for: Self.route("192.0.2.10")).count == 1)
        #expect(try policy.check(host: "name.invalid", port: 5432, for: Self.route("name.invalid"), requireAddress: false).isEmpty)
    }

    @Test func theServersOwnAddressIsRefused() throws {
        let own = try #require(Self.ownInterfaceAddress(), "this host has no interface address besides loopback and link-local")
        #expect(throws: BackendAddressRefusal.serverAddress(own)) {
            try BackendNetworkPolicy().check(host: own, port: 5432, for: Self.route(own))
        }
    }

    @Test func anAllowedNetworkIsDialed() throws {
        let serverWide = BackendNetworkPolicy(allowed: try BackendNetworkPolicy.networks(["127.0.0.0/8", "::1"]))
        #expect(try serverWide.check(host: "127.0.0.1", port: 1, for: Self.route("127.0.0.1")).count == 1)
        #expect(try serverWide.check(host: "::1", port: 1, for: Self.route("::1")).count == 1)
        #expect(throws: BackendAddressRefusal.linkLocal("169.254.1.1")) { try serverWide.check(host: "169.254.1.1", port: 1, for: Self.route("169.254.1.1")) }
        let perRoute = BackendNetworkPolicy()
        #expect(try perRoute.check(host: "169.254.1.1", port: 1, for: Self.route("169.254.1.1", allow: ["169.254.0.0/16"])).count == 1)
        #expect(throws: BackendAddressRefusal.self) { try perRoute.check(host: "127.0.0.1", port: 1, for: Self.route("127.0.0.1", allow: ["169.254.0.0/16"])) }
        #expect(throws: RouteError.self) { try BackendNetworkPolicy.networks(["127.0.0.1/8"]) }
    }

    // MARK: registration

    /// A running server with zones delegated to two service endpoints.
    func start(allow: [String] = []) async throws -> (ServerFixture, ZTServer) {
        let fixture = try ServerFixture { $0.serviceBackendAllowNetworks = allow }
        _ = try fixture.issue("s-db", kind: .service)
        _ = try fixture.issue("s-other", kind: .service)
        try fixture.administration.addZone("svc.test", records: [], allow: ["laptop"], serviceCommonName: "s-db")
        try fixture.administration.addZone("other.test", records: [], allow: ["laptop"], serviceCommonName: "s-other")
        let (server, _) = try await fixture.startServer(group: self.group)
        return (fixture, server)
    }

    func register(_ server: ZTServer, _ cn: String, name: String = "db", domain: String = "db.svc.test", target: String) throws -> ServiceRegistration {
        try server.enrollment.registerService(commonName: cn, ServiceRegistration(name: name, domains: [domain], target: target))
    }

    @Test func registrationRefusesTargetsThatAimAtTheRouter() async throws {
        let (fixture, server) = try await self.start()
        defer { fixture.remove() }
        // Another endpoint's route, which no refusal may mention.
        _ = try self.register(server, "s-other", name: "secret-backend", domain: "vault.other.test", target: "192.0.2.77:5432")
        var targets = ["127.0.0.1:5432", "169.254.1.1:5432", "[::1]:5432", "localhost:5432", "[::ffff:127.0.0.1]:5432", "0.0.0.0:5432"]
        if let own = Self.ownInterfaceAddress() { targets.append(own.contains(":") ? "[\(own)]:5432" : "\(own):5432") }
        for target in targets {
            do {
                _ = try self.register(server, "s-db", target: target)
                Issue.record("\(target) was accepted")
            } catch let error as APIErrorBody {
                #expect(error.code == .backendNotAllowed, "\(target): \(error)")
                #expect(!error.message.contains("secret-backend") && !error.message.contains("vault") && !error.message.contains("s-other"), "\(error.message)")
            }
        }
        #expect(server.statistics.snapshot().refusedBackends == targets.count)
        #expect(try server.registry.routes().map(\.name) == ["secret-backend"], "nothing was stored")
        // A reverse service is dialed by its own agent, never by the router.
        _ = try server.enrollment.registerService(commonName: "s-db", ServiceRegistration(name: "rdb", domains: ["rdb.svc.test"], target: "127.0.0.1:5432", reverse: true))
        // A public address is fine.
        _ = try self.register(server, "s-db", target: "192.0.2.10:5432")
        await server.stop()
    }

    @Test func registrationAcceptsWhatTheOperatorAllowed() async throws {
        let (fixture, server) = try await self.start(allow: ["127.0.0.0/8", "::1", "169.254.0.0/16"])
        defer { fixture.remove() }
        for (index, target) in ["127.0.0.1:5432", "[::1]:5432", "169.254.1.1:5432", "localhost:5432"].enumerated() {
            _ = try self.register(server, "s-db", name: "db\(index)", domain: "db\(index).svc.test", target: target)
        }
        #expect(try server.registry.routes().count == 4)
        await server.stop()
    }

    @Test func aConflictSaysNothingAboutTheOtherRoute() async throws {
        let (fixture, server) = try await self.start()
        defer { fixture.remove() }
        _ = try self.register(server, "s-other", name: "payroll-db", domain: "payroll.other.test", target: "192.0.2.77:5432")
        // Same name, another owner.
        do {
            _ = try self.register(server, "s-db", name: "payroll-db", domain: "db.svc.test", target: "192.0.2.10:5432")
            Issue.record("another endpoint's route was replaced")
        } catch let error as APIErrorBody {
            #expect(error.code == .serviceConflict)
            #expect(error.message == "a service with that name or domain exists")
        }
        // Same domain as one of this endpoint's own other routes: generic too.
        _ = try self.register(server, "s-db", name: "one", domain: "x.svc.test", target: "192.0.2.10:5432")
        do {
            _ = try self.register(server, "s-db", name: "two", domain: "x.svc.test", target: "192.0.2.10:5432")
            Issue.record("a domain was claimed twice")
        } catch let error as APIErrorBody {
            #expect(error.code == .serviceConflict)
            #expect(error.message == "a service with that name or domain exists")
        }
        await server.stop()
    }

    @Test func operatorRoutesAreCheckedUnlessTheNetworkIsAllowed() throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        try fixture.administration.addZone("svc.test", records: [], allow: ["laptop"], serviceCommonName: "s-db")
        #expect(throws: RouteError.self) { try fixture.administration.addRoute(Self.route("127.0.0.1")) }
        #expect(throws: RouteError.self) { try fixture.administration.addRoute(Self.route("localhost")) }
        #expect(throws: RouteError.self) { try fixture.administration.addRoute(Self.route("127.0.0.1", allow: ["bad"])) }
        try fixture.administration.addRoute(Self.route("127.0.0.1", allow: ["127.0.0.1"]))
        #expect(try fixture.administration.routes().first?.allowNetworks == ["127.0.0.1"])
    }
}
