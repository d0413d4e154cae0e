/// The server's settings, stored as server.json in the state directory.
public struct ServerConfiguration: Codable, Sendable, Hashable {
    /// The name in the server certificate; agents check it.
    public var serverName: String
    /// DoT listen address, "IP:PORT" ("[v6]:PORT" for IPv6). Default 127.0.0.1:853.
    public var dotListen: String
    /// Plain DNS (UDP+TCP) listeners, off unless listed. Plain clients have no identity, so they
    /// never see private zones. Meant for testing the forwarder.
    public var plainListen: [String]
    /// The TLS router's address: what private names resolve to by default.
    public var routerAddress: String
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
    /// Seconds an upstream query may take.
    public var upstreamTimeoutSeconds: Double
    /// TTL of private answers, in seconds.
    public var privateTTL: UInt32

    public init(
        serverName: String,
        dotListen: String = "127.0.0.1:853",
        plainListen: [String] = [],
        routerAddress: String = "127.0.0.1",
        upstreamMode: UpstreamMode = .refuse,
        upstreamServers: [String] = [],
        upstreamServerName: String? = nil,
        upstreamCAFile: String? = nil,
        idleTimeoutSeconds: Int = 30,
        maximumConnections: Int = 4096,
        upstreamTimeoutSeconds: Double = 2.5,
        privateTTL: UInt32 = 60
    ) {
        self.serverName = serverName
        self.dotListen = dotListen
        self.plainListen = plainListen
        self.routerAddress = routerAddress
        self.upstreamMode = upstreamMode
        self.upstreamServers = upstreamServers
        self.upstreamServerName = upstreamServerName
        self.upstreamCAFile = upstreamCAFile
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.maximumConnections = maximumConnections
        self.upstreamTimeoutSeconds = upstreamTimeoutSeconds
        self.privateTTL = privateTTL
    }
}
