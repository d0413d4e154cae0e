import DNSTransport
import DNSWire
import Foundation

extension ServerAdministration {
    /// Every route.
    public func routes() throws -> [RouteDefinition] { try self.registry().routes() }

    /// Adds (or replaces) a route. Each domain must lie in an existing private zone (whose allow
    /// list then decides who may connect); domains are claimed by one route only.
    public func addRoute(_ route: RouteDefinition) throws {
        var route = route
        try Self.validateCommonName(route.serviceCommonName)
        guard !route.name.isEmpty, !route.domains.isEmpty else { throw RouteError.invalid("a route needs a name and at least one domain") }
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
        try registry.putRoute(route)
    }

    /// Removes a route by name.
    public func removeRoute(_ name: String) throws {
        guard try self.registry().removeRoute(named: name) else { throw RouteError.notFound(name) }
    }
}
