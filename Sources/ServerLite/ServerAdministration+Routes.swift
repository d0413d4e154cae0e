import DNSTransport
import DNSWire
import Foundation

extension ServerAdministration {
    /// Every route.
    public func routes() throws -> [RouteDefinition] { try self.registry().routes() }

    /// Adds a route, or with `replace` changes an existing one (returns the route it replaced).
    /// Each domain must lie in an existing private zone (whose allow list then decides who may
    /// connect); domains are claimed by one route only.
    @discardableResult
    public func addRoute(_ route: RouteDefinition, replace: Bool = false) throws -> RouteDefinition? {
        var route = route
        try RouteDefinition.validateName(route.name)
        try Self.validateCommonName(route.serviceCommonName)
        guard !route.domains.isEmpty else { throw RouteError.invalid("a route needs at least one domain") }
        guard (1...65_535).contains(route.port), route.ports.allSatisfy({ (1...65_535).contains($0) }) else {
            throw RouteError.invalid("ports must be 1-65535")
        }
        if route.dial == .address {
            _ = try HostPort.split(route.host.contains(":") ? "[\(route.host)]:\(route.port)" : "\(route.host):\(route.port)")
        }
        route.domains = route.domains.map { $0.lowercased() }
        let registry = try self.registry()
        let zones = try registry.zones().keys.compactMap { try? DNSName($0) }
        for domain in route.domains {
            guard let name = try? DNSName(domain) else { throw RouteError.invalid("\(domain) is not a valid name") }
            guard zones.contains(where: { name.isSubdomain(of: $0) }) else {
                throw RouteError.notDelegated("\(domain) is in no private zone; add the zone first ('ztserver zone add')")
            }
        }
        try self.checkBackend(route)
        return try registry.putRoute(route, replace: replace)
    }

    /// A route the router dials (not reverse) must not aim it at itself unless server.json's
    /// `serviceBackendAllowNetworks` or the route's `allow_networks` allows the network. A name
    /// is resolved now and again at every dial.
    func checkBackend(_ route: RouteDefinition) throws {
        _ = try BackendNetworkPolicy.networks(route.allowNetworks)
        guard route.dial == .address else { return }
        let policy = BackendNetworkPolicy(try ServerStateStore(paths: self.paths).loadConfiguration())
        do {
            _ = try policy.check(host: route.host, port: route.port, for: route, requireAddress: false)
        } catch {
            throw RouteError.backendNotAllowed("\(error); allow it with --allow-network CIDR (or serviceBackendAllowNetworks in server.json)")
        }
    }

    /// Removes a route by name.
    public func removeRoute(_ name: String) throws {
        guard try self.registry().removeRoute(named: name) else { throw RouteError.notFound(name) }
    }
}
