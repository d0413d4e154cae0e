import Foundation
import JWTKit

/// Everything the server tells an agent, as a JWT signed ES256 by the config key the agent
/// pinned at enrollment. The agent applies it as one value.
public struct AgentConfigClaims: JWTPayload, Equatable {
    /// One DoT server, by address, with the name its certificate carries.
    public struct Server: Codable, Sendable, Hashable {
        public var address: String
        public var name: String
        public init(address: String, name: String) {
            self.address = address
            self.name = name
        }
    }

    /// The schema version this agent understands.
    public static let currentSchema = 1

    public var issuer: String
    /// The endpoint's CN: a config is good for one endpoint only.
    public var audience: String
    public var issuedAt: Date
    public var notBefore: Date
    public var expiresAt: Date
    /// Monotonic: an agent never accepts a lower version than the one in force (no rollback).
    public var version: Int64
    public var schema: Int
    /// DoT servers in order of preference.
    public var servers: [Server]
    /// The enrollment and admin API (renew, config), https://IP:PORT.
    public var apiURL: String
    /// The TLS router's address (private names resolve to it).
    public var routerAddress: String
    /// Suffixes answered by the private zones (split DNS).
    public var privateSuffixes: [String]
    /// How often the agent fetches a new config.
    public var refreshSeconds: Int
    /// Renew the certificate at this fraction of its lifetime (0 < f < 1).
    public var renewAtFraction: Double
    /// Whether the host sends every name to the stub (true) or only the private suffixes
    /// (split DNS, where the resolver integration can route by domain).
    public var captureAll: Bool
    /// When no DoT server answers: "closed" (public names get SERVFAIL) or "open" (public names
    /// go to the host's original resolvers). Private names never go anywhere but the DoT servers.
    public var publicFailure: String
    /// The router's tunnel listener, "IP:PORT" (nil from servers without one).
    public var tunnel: String?
    /// Private services this endpoint may use (the agent intercepts their names).
    public var services: [ServiceGrant]

    enum CodingKeys: String, CodingKey {
        case issuer = "iss", audience = "aud", issuedAt = "iat", notBefore = "nbf", expiresAt = "exp", version = "ver"
        case schema, servers = "dot", apiURL = "api", routerAddress = "router", privateSuffixes = "private"
        case refreshSeconds = "refresh", renewAtFraction = "renew", captureAll = "capture_all", publicFailure = "public_failure"
        case tunnel, services
    }

    public init(audience: String, issuedAt: Date, notBefore: Date, expiresAt: Date, version: Int64, servers: [Server], apiURL: String, routerAddress: String, privateSuffixes: [String], refreshSeconds: Int, renewAtFraction: Double, schema: Int = Self.currentSchema, captureAll: Bool = true, publicFailure: String = "closed", tunnel: String? = nil, services: [ServiceGrant] = []) {
        self.tunnel = tunnel
        self.services = services
        self.captureAll = captureAll
        self.publicFailure = publicFailure
        self.issuer = "ztserver"
        self.audience = audience
        self.issuedAt = issuedAt
        self.notBefore = notBefore
        self.expiresAt = expiresAt
        self.version = version
        self.schema = schema
        self.servers = servers
        self.apiURL = apiURL
        self.routerAddress = routerAddress
        self.privateSuffixes = privateSuffixes
        self.refreshSeconds = refreshSeconds
        self.renewAtFraction = renewAtFraction
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.issuer = try container.decode(String.self, forKey: .issuer)
        self.audience = try container.decode(String.self, forKey: .audience)
        self.issuedAt = Date(timeIntervalSince1970: try container.decode(Double.self, forKey: .issuedAt))
        self.notBefore = Date(timeIntervalSince1970: try container.decode(Double.self, forKey: .notBefore))
        self.expiresAt = Date(timeIntervalSince1970: try container.decode(Double.self, forKey: .expiresAt))
        self.version = try container.decode(Int64.self, forKey: .version)
        self.schema = try container.decode(Int.self, forKey: .schema)
        self.servers = try container.decode([Server].self, forKey: .servers)
        self.apiURL = try container.decode(String.self, forKey: .apiURL)
        self.routerAddress = try container.decode(String.self, forKey: .routerAddress)
        self.privateSuffixes = try container.decode([String].self, forKey: .privateSuffixes)
        self.refreshSeconds = try container.decode(Int.self, forKey: .refreshSeconds)
        self.renewAtFraction = try container.decode(Double.self, forKey: .renewAtFraction)
        self.captureAll = try container.decodeIfPresent(Bool.self, forKey: .captureAll) ?? true
        self.publicFailure = try container.decodeIfPresent(String.self, forKey: .publicFailure) ?? "closed"
        self.tunnel = try container.decodeIfPresent(String.self, forKey: .tunnel)
        self.services = try container.decodeIfPresent([ServiceGrant].self, forKey: .services) ?? []
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.issuer, forKey: .issuer)
        try container.encode(self.audience, forKey: .audience)
        try container.encode(NumericDate.seconds(self.issuedAt, codingPath: container.codingPath + [CodingKeys.issuedAt]), forKey: .issuedAt)
        try container.encode(NumericDate.seconds(self.notBefore, codingPath: container.codingPath + [CodingKeys.notBefore]), forKey: .notBefore)
        try container.encode(NumericDate.seconds(self.expiresAt, codingPath: container.codingPath + [CodingKeys.expiresAt]), forKey: .expiresAt)
        try container.encode(self.version, forKey: .version)
        try container.encode(self.schema, forKey: .schema)
        try container.encode(self.servers, forKey: .servers)
        try container.encode(self.apiURL, forKey: .apiURL)
        try container.encode(self.routerAddress, forKey: .routerAddress)
        try container.encode(self.privateSuffixes, forKey: .privateSuffixes)
        try container.encode(self.refreshSeconds, forKey: .refreshSeconds)
        try container.encode(self.renewAtFraction, forKey: .renewAtFraction)
        try container.encode(self.captureAll, forKey: .captureAll)
        try container.encode(self.publicFailure, forKey: .publicFailure)
        try container.encodeIfPresent(self.tunnel, forKey: .tunnel)
        try container.encode(self.services, forKey: .services)
    }

    /// Claims are checked by ``SignedConfigVerifier`` with explicit reasons, not here.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}
}
