import DNSWire

/// The routes in force, by the names clients connect to. Immutable; part of a
/// ``ServerStateSnapshot``.
public struct RouteTable: Sendable {
    /// Route by domain.
    private let byDomain: [DNSName: RouteDefinition]
    /// Every route, by name.
    public let routes: [String: RouteDefinition]

    public static let empty = RouteTable(validated: [:], byDomain: [:])

    private init(validated routes: [String: RouteDefinition], byDomain: [DNSName: RouteDefinition]) {
        self.routes = routes
        self.byDomain = byDomain
    }

    /// Compiles routes; a domain claimed twice or a malformed one is refused, naming it.
    public init(_ routes: [RouteDefinition]) throws {
        var table: [DNSName: RouteDefinition] = [:]
        var named: [String: RouteDefinition] = [:]
        for route in routes {
            named[route.name] = route
            for domain in route.domains {
                let name: DNSName
                do {
                    name = try DNSName(domain)
                } catch {
                    throw RouteError.invalid("route \(route.name): domain \(domain) is not a valid name")
                }
                if let other = table[name], other.name != route.name {
                    throw RouteError.conflict("domain \(domain) is claimed by routes \(other.name) and \(route.name)")
                }
                table[name] = route
            }
        }
        self.init(validated: named, byDomain: table)
    }

    /// The route for a name clients connect to (exact match, case-insensitive).
    public func route(for serverName: String) -> RouteDefinition? {
        guard let name = try? DNSName(serverName) else { return nil }
        return self.byDomain[name]
    }

    /// The route for a name.
    public func route(for name: DNSName) -> RouteDefinition? {
        self.byDomain[name]
    }

    /// Every (domain, route) pair.
    public var domains: [(name: DNSName, route: RouteDefinition)] {
        self.byDomain.map { ($0.key, $0.value) }
    }
}
