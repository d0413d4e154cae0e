/// POST /v1/services (mutual TLS, a service endpoint): a backend this endpoint serves.
public struct ServiceRegistration: Codable, Sendable, Hashable {
    /// The service's (route's) name, unique on the server.
    public var name: String
    /// Names clients connect to; each must lie in a private zone whose `service_cn` is this
    /// endpoint.
    public var domains: [String]
    /// The backend, "HOST:PORT" as seen from where it is dialed (the router, or this agent for
    /// a reverse service).
    public var target: String
    /// Ports clients use; the target's port when empty.
    public var ports: [Int]
    /// The router asks this agent to dial back instead of dialing the target itself.
    public var reverse: Bool

    public init(name: String, domains: [String], target: String, ports: [Int] = [], reverse: Bool = false) {
        self.name = name
        self.domains = domains
        self.target = target
        self.ports = ports
        self.reverse = reverse
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.name = try container.decode(String.self, forKey: .name)
        self.domains = try container.decode([String].self, forKey: .domains)
        self.target = try container.decode(String.self, forKey: .target)
        self.ports = try container.decodeIfPresent([Int].self, forKey: .ports) ?? []
        self.reverse = try container.decodeIfPresent(Bool.self, forKey: .reverse) ?? false
    }
}

/// GET /v1/services: the services this endpoint registered.
public struct ServiceListResponse: Codable, Sendable {
    public var services: [ServiceRegistration]
    public init(services: [ServiceRegistration]) { self.services = services }
}
