import DNSTransport

/// The server's settings, stored as server.json in the state directory.
public struct ServerConfiguration: Codable, Sendable, Hashable {
    /// The name in the server certificate; agents check it.
    public var serverName: String
    /// DoT listen address, "IP:PORT" ("[v6]:PORT" for IPv6). Default 127.0.0.1:853.
    public var dotListen: String
    /// The DoT address agents are told to use (signed config); dotListen when nil.
    public var dotAdvertise: String?
    /// Plain DNS (UDP+TCP) listeners, off unless listed. Plain clients have no identity, so they
    /// never see private zones. Meant for testing the forwarder.
    public var plainListen: [String]
    /// The enrollment and admin API (HTTPS), "IP:PORT". Default 127.0.0.1:5001.
    public var apiListen: String
    /// The API address written into tokens and configs (https://THIS); apiListen when nil.
    public var apiAdvertise: String?
    /// The TLS router's address: what private names resolve to by default.
    public var routerAddress: String
    /// The router's tunnel listener (mutual TLS from agents, SNI names the service), "IP:PORT".
    /// Default 127.0.0.1:8443.
    public var tunnelListen: String
    /// The tunnel address agents are told to use (signed config); the bound address when nil.
    public var tunnelAdvertise: String?
    /// The router's SNI passthrough listener (TLS not terminated), "IP:PORT"; off when nil.
    public var passthroughListen: String?
    /// Seconds a routed connection may stay without traffic either way.
    public var tunnelIdleTimeoutSeconds: Int
    /// Routed connections open at once (tunnel and passthrough together).
    public var maximumTunnels: Int
    /// Seconds the router waits for a backend (or a reverse dial-back) to connect.
    public var backendConnectTimeoutSeconds: Double
    /// Networks (CIDR) every route's backend may be in although the router refuses them by
    /// default: loopback, link-local, unspecified and the server's own addresses. Empty by default.
    public var serviceBackendAllowNetworks: [String]
    /// Upstream for names outside private zones.
    public var upstreamMode: UpstreamMode
    /// Upstream servers, "IP:PORT".
    public var upstreamServers: [String]
    /// For DoT upstreams: the name their certificates must carry (nil: the system trust store and the address).
    public var upstreamServerName: String?
    /// For DoT upstreams: a CA bundle to trust instead of the system store.
    public var upstreamCAFile: String?
    /// Seconds an idle DoT connection stays open (RFC 7858 recommends closing idle connections).
    public var idleTimeoutSeconds: Int
    /// DoT connections open at once, across all endpoints.
    public var maximumConnections: Int
    /// Queries one DoT connection may have in flight (answered upstream) before the server stops
    /// reading from it.
    public var maximumQueriesPerConnection: Int
    /// Seconds from TCP accept to the end of the TLS handshake (DoT, tunnel), to a complete
    /// ClientHello (passthrough) or to complete request headers (API); slower connections are closed.
    public var handshakeTimeoutSeconds: Double
    /// Connections in that phase open at once on each listener, the reserve included.
    public var maximumHandshakingConnections: Int
    /// The last slots of maximumHandshakingConnections, kept for source addresses that have no
    /// connection in handshake (so a flood from few addresses cannot lock everyone out).
    public var handshakeReserveForNewSources: Int
    /// Connections in handshake one source address may hold at once on each listener.
    public var maximumHandshakingPerSource: Int
    /// DoT connections one endpoint (CN) may hold at once.
    public var maximumConnectionsPerEndpoint: Int
    /// Tunnel connections (routed, reverse control and data) one endpoint (CN) may hold at once.
    public var maximumTunnelsPerEndpoint: Int
    /// Seconds an API connection may stay idle (between requests, or while a request is being read).
    public var apiIdleTimeoutSeconds: Int
    /// Seconds an upstream query may take.
    public var upstreamTimeoutSeconds: Double
    /// TTL of private answers, in seconds.
    public var privateTTL: UInt32
    /// Lifetime of endpoint certificates (days by default; down to 60 s for tests).
    public var endpointCertificateLifetimeSeconds: Int
    /// After a renewal, the certificate that renewed stays accepted this long (so queries and
    /// tunnels in flight survive the swap); then only the new serial is.
    public var renewalGraceSeconds: Int
    /// Lifetime of a signed config.
    public var configLifetimeSeconds: Int
    /// How often agents fetch a new config.
    public var configRefreshSeconds: Int
    /// Agents renew at this fraction of their certificate's lifetime.
    public var renewAtFraction: Double
    /// Default lifetime of enrollment tokens.
    public var tokenLifetimeSeconds: Int
    /// Prometheus metrics on this loopback address ("127.0.0.1:9154"); off when nil.
    public var metricsListen: String?
    /// Tell agents to route only the private suffixes to their stub (split DNS) instead of
    /// every name.
    public var splitDNS: Bool
    /// What agents do with public names when no DoT server answers: "closed" or "open".
    public var publicFailure: String

    public init(
        serverName: String,
        dotListen: String = "127.0.0.1:853",
        plainListen: [String] = [],
        apiListen: String = "127.0.0.1:5001",
        routerAddress: String = "127.0.0.1",
        upstreamMode: UpstreamMode = .refuse,
        upstreamServers: [String] = []
    ) {
        self.serverName = serverName
        self.dotListen = dotListen
        self.dotAdvertise = nil
        self.plainListen = plainListen
        self.apiListen = apiListen
        self.apiAdvertise = nil
        self.routerAddress = routerAddress
        self.upstreamMode = upstreamMode
        self.upstreamServers = upstreamServers
        self.tunnelListen = "127.0.0.1:8443"
        self.tunnelAdvertise = nil
        self.passthroughListen = nil
        self.tunnelIdleTimeoutSeconds = 300
        self.maximumTunnels = 4096
        self.backendConnectTimeoutSeconds = 5
        self.serviceBackendAllowNetworks = []
        self.upstreamServerName = nil
        self.upstreamCAFile = nil
        self.idleTimeoutSeconds = 30
        self.maximumConnections = 4096
        self.maximumQueriesPerConnection = 256
        self.handshakeTimeoutSeconds = 10
        self.maximumHandshakingConnections = 1024
        self.handshakeReserveForNewSources = 64
        self.maximumHandshakingPerSource = 32
        self.maximumConnectionsPerEndpoint = 256
        self.maximumTunnelsPerEndpoint = 1024
        self.apiIdleTimeoutSeconds = 30
        self.upstreamTimeoutSeconds = 2.5
        self.privateTTL = 60
        self.endpointCertificateLifetimeSeconds = 7 * 86_400
        self.configLifetimeSeconds = 30 * 86_400
        self.renewalGraceSeconds = 120
        self.configRefreshSeconds = 300
        self.renewAtFraction = 2.0 / 3.0
        self.tokenLifetimeSeconds = 86_400
        self.metricsListen = nil
        self.splitDNS = false
        self.publicFailure = "closed"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(serverName: try c.decode(String.self, forKey: .serverName))
        self.dotListen = try c.decodeIfPresent(String.self, forKey: .dotListen) ?? self.dotListen
        self.dotAdvertise = try c.decodeIfPresent(String.self, forKey: .dotAdvertise)
        self.plainListen = try c.decodeIfPresent([String].self, forKey: .plainListen) ?? []
        self.apiListen = try c.decodeIfPresent(String.self, forKey: .apiListen) ?? self.apiListen
        self.apiAdvertise = try c.decodeIfPresent(String.self, forKey: .apiAdvertise)
        self.routerAddress = try c.decodeIfPresent(String.self, forKey: .routerAddress) ?? self.routerAddress
        self.upstreamMode = try c.decodeIfPresent(UpstreamMode.self, forKey: .upstreamMode) ?? .refuse
        self.upstreamServers = try c.decodeIfPresent([String].self, forKey: .upstreamServers) ?? []
        self.upstreamServerName = try c.decodeIfPresent(String.self, forKey: .upstreamServerName)
        self.tunnelListen = try c.decodeIfPresent(String.self, forKey: .tunnelListen) ?? self.tunnelListen
        self.tunnelAdvertise = try c.decodeIfPresent(String.self, forKey: .tunnelAdvertise)
        self.passthroughListen = try c.decodeIfPresent(String.self, forKey: .passthroughListen)
        self.tunnelIdleTimeoutSeconds = try c.decodeIfPresent(Int.self, forKey: .tunnelIdleTimeoutSeconds) ?? self.tunnelIdleTimeoutSeconds
        self.maximumTunnels = try c.decodeIfPresent(Int.self, forKey: .maximumTunnels) ?? self.maximumTunnels
        self.backendConnectTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .backendConnectTimeoutSeconds) ?? self.backendConnectTimeoutSeconds
        self.serviceBackendAllowNetworks = try c.decodeIfPresent([String].self, forKey: .serviceBackendAllowNetworks) ?? []
        self.upstreamCAFile = try c.decodeIfPresent(String.self, forKey: .upstreamCAFile)
        self.idleTimeoutSeconds = try c.decodeIfPresent(Int.self, forKey: .idleTimeoutSeconds) ?? self.idleTimeoutSeconds
        self.maximumConnections = try c.decodeIfPresent(Int.self, forKey: .maximumConnections) ?? self.maximumConnections
        self.maximumQueriesPerConnection = try c.decodeIfPresent(Int.self, forKey: .maximumQueriesPerConnection) ?? self.maximumQueriesPerConnection
        self.handshakeTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .handshakeTimeoutSeconds) ?? self.handshakeTimeoutSeconds
        self.maximumHandshakingConnections = try c.decodeIfPresent(Int.self, forKey: .maximumHandshakingConnections) ?? self.maximumHandshakingConnections
        self.handshakeReserveForNewSources = try c.decodeIfPresent(Int.self, forKey: .handshakeReserveForNewSources) ?? self.handshakeReserveForNewSources
        self.maximumHandshakingPerSource = try c.decodeIfPresent(Int.self, forKey: .maximumHandshakingPerSource) ?? self.maximumHandshakingPerSource
        self.maximumConnectionsPerEndpoint = try c.decodeIfPresent(Int.self, forKey: .maximumConnectionsPerEndpoint) ?? self.maximumConnectionsPerEndpoint
        self.maximumTunnelsPerEndpoint = try c.decodeIfPresent(Int.self, forKey: .maximumTunnelsPerEndpoint) ?? self.maximumTunnelsPerEndpoint
        self.apiIdleTimeoutSeconds = try c.decodeIfPresent(Int.self, forKey: .apiIdleTimeoutSeconds) ?? self.apiIdleTimeoutSeconds
        self.upstreamTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .upstreamTimeoutSeconds) ?? self.upstreamTimeoutSeconds
        self.privateTTL = try c.decodeIfPresent(UInt32.self, forKey: .privateTTL) ?? self.privateTTL
        self.endpointCertificateLifetimeSeconds = try c.decodeIfPresent(Int.self, forKey: .endpointCertificateLifetimeSeconds) ?? self.endpointCertificateLifetimeSeconds
        self.configLifetimeSeconds = try c.decodeIfPresent(Int.self, forKey: .configLifetimeSeconds) ?? self.configLifetimeSeconds
        self.renewalGraceSeconds = try c.decodeIfPresent(Int.self, forKey: .renewalGraceSeconds) ?? self.renewalGraceSeconds
        self.configRefreshSeconds = try c.decodeIfPresent(Int.self, forKey: .configRefreshSeconds) ?? self.configRefreshSeconds
        self.renewAtFraction = try c.decodeIfPresent(Double.self, forKey: .renewAtFraction) ?? self.renewAtFraction
        self.tokenLifetimeSeconds = try c.decodeIfPresent(Int.self, forKey: .tokenLifetimeSeconds) ?? self.tokenLifetimeSeconds
        self.metricsListen = try c.decodeIfPresent(String.self, forKey: .metricsListen)
        self.splitDNS = try c.decodeIfPresent(Bool.self, forKey: .splitDNS) ?? false
        self.publicFailure = try c.decodeIfPresent(String.self, forKey: .publicFailure) ?? "closed"
    }

    /// The DoT address agents use.
    public var advertisedDoT: String { self.dotAdvertise ?? self.dotListen }
    /// The API's base URL, https://IP:PORT.
    public var apiURL: String {
        let address = self.apiAdvertise ?? self.apiListen
        return "https://\(address)"
    }

    /// Checks the settings that could make agents misbehave, each named in the refusal.
    public func validate() throws {
        try DurationLimits.check(self.endpointCertificateLifetimeSeconds, in: DurationLimits.certificateLifetime, name: "endpointCertificateLifetimeSeconds")
        try DurationLimits.check(self.tokenLifetimeSeconds, in: DurationLimits.tokenLifetime, name: "tokenLifetimeSeconds")
        try DurationLimits.check(self.configLifetimeSeconds, in: DurationLimits.configLifetime, name: "configLifetimeSeconds")
        try DurationLimits.check(self.configRefreshSeconds, in: DurationLimits.configRefresh, name: "configRefreshSeconds")
        try DurationLimits.check(self.idleTimeoutSeconds, in: DurationLimits.idleTimeout, name: "idleTimeoutSeconds")
        try DurationLimits.check(self.tunnelIdleTimeoutSeconds, in: DurationLimits.idleTimeout, name: "tunnelIdleTimeoutSeconds")
        try DurationLimits.check(self.upstreamTimeoutSeconds, in: DurationLimits.operationTimeout, name: "upstreamTimeoutSeconds")
        try DurationLimits.check(self.backendConnectTimeoutSeconds, in: DurationLimits.operationTimeout, name: "backendConnectTimeoutSeconds")
        guard self.renewAtFraction > 0.1, self.renewAtFraction < 0.95 else { throw AdministrationError.invalid("renewAtFraction must be between 0.1 and 0.95") }
        guard ["closed", "open"].contains(self.publicFailure) else { throw AdministrationError.invalid("publicFailure must be \"closed\" or \"open\"") }
        guard self.maximumTunnels >= 1, self.maximumConnections >= 1 else {
            throw AdministrationError.invalid("maximumTunnels and maximumConnections must be at least 1")
        }
        guard (0...3_600).contains(self.renewalGraceSeconds) else { throw AdministrationError.invalid("renewalGraceSeconds must be between 0 and 3600") }
        for network in self.serviceBackendAllowNetworks where IPNetwork(network) == nil {
            throw AdministrationError.invalid("serviceBackendAllowNetworks: '\(network)' is not a network (A.B.C.D/N, X:Y::/N or one address)")
        }
        guard self.handshakeTimeoutSeconds > 0, self.handshakeTimeoutSeconds <= 300, self.maximumHandshakingConnections >= 1, self.maximumHandshakingPerSource >= 1,
              self.maximumConnectionsPerEndpoint >= 1, self.maximumTunnelsPerEndpoint >= 1, self.maximumQueriesPerConnection >= 1, self.apiIdleTimeoutSeconds >= 1 else {
            throw AdministrationError.invalid("handshakeTimeoutSeconds (at most 300), maximumHandshakingConnections, maximumHandshakingPerSource, maximumConnectionsPerEndpoint, maximumTunnelsPerEndpoint, maximumQueriesPerConnection and apiIdleTimeoutSeconds must be positive")
        }
        guard (0..<self.maximumHandshakingConnections).contains(self.handshakeReserveForNewSources) else {
            throw AdministrationError.invalid("handshakeReserveForNewSources must be at least 0 and less than maximumHandshakingConnections")
        }
        switch self.upstreamMode {
        case .refuse:
            break
        case .dns, .dot:
            guard !self.upstreamServers.isEmpty else {
                throw AdministrationError.invalid("upstream \(self.upstreamMode.rawValue) needs at least one upstream server (--upstream-server IP:PORT)")
            }
            for server in self.upstreamServers {
                do {
                    _ = try HostPort.parse(server, defaultPort: self.upstreamMode == .dot ? 853 : 53)
                } catch {
                    throw AdministrationError.invalid("upstream server '\(server)' is not IP:PORT")
                }
            }
        }
    }
}
