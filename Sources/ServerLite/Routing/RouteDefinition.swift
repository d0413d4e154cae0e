/// Where the router sends connections for a service: the ZeroTrust seed's routes.json entry
/// (service CN, backend host and port, domains, name) plus how to reach the backend.
///
/// ```json
/// { "name": "db", "service_cn": "s-db", "host": "10.10.10.50", "port": 5432,
///   "domains": ["db.internal.corp"], "ports": [5432], "dial": "address", "passthrough": false }
/// ```
public struct RouteDefinition: Codable, Sendable, Hashable {
    /// A route's unique name.
    public var name: String
    /// The service endpoint that owns the route.
    public var serviceCommonName: String
    /// The backend's host (an IP address or a name resolved when dialing). For reverse routes,
    /// the address the service agent dials on its side; the router never dials it.
    public var host: String
    /// The backend's port.
    public var port: Int
    /// Names clients connect to (each inside a private zone).
    public var domains: [String]
    /// Ports clients connect to on those names (the agent listens on them); the backend's port
    /// when empty.
    public var ports: [Int]
    /// How the router reaches the backend.
    public var dial: RouteDial
    /// Whether the passthrough listener (no client identity, TLS not terminated) serves the route.
    public var passthrough: Bool
    /// Networks (CIDR) the operator allows this route's backend to be in although the router
    /// refuses them by default (loopback, link-local, unspecified, the server's own addresses).
    /// Only `ztserver route add --allow-network` sets it; a service's registration never does.
    public var allowNetworks: [String]

    enum CodingKeys: String, CodingKey {
        case name, serviceCommonName = "service_cn", host, port, domains, ports, dial, passthrough, allowNetworks = "allow_networks"
    }

    public init(name: String, serviceCommonName: String, host: String, port: Int, domains: [String], ports: [Int] = [], dial: RouteDial = .address, passthrough: Bool = false, allowNetworks: [String] = []) {
        self.name = name
        self.serviceCommonName = serviceCommonName
        self.host = host
        self.port = port
        self.domains = domains
        self.ports = ports
        self.dial = dial
        self.passthrough = passthrough
        self.allowNetworks = allowNetworks
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.name = try container.decode(String.self, forKey: .name)
        self.serviceCommonName = try container.decode(String.self, forKey: .serviceCommonName)
        self.host = try container.decode(String.self, forKey: .host)
        self.port = try container.decode(Int.self, forKey: .port)
        self.domains = try container.decode([String].self, forKey: .domains)
        self.ports = try container.decodeIfPresent([Int].self, forKey: .ports) ?? []
        self.dial = try container.decodeIfPresent(RouteDial.self, forKey: .dial) ?? .address
        self.passthrough = try container.decodeIfPresent(Bool.self, forKey: .passthrough) ?? false
        self.allowNetworks = try container.decodeIfPresent([String].self, forKey: .allowNetworks) ?? []
    }

    /// The ports clients use.
    public var clientPorts: [Int] { self.ports.isEmpty ? [self.port] : self.ports }
}
