/// One DNS server as systemd-resolved's `SetLinkDNSEx` takes it: family, address bytes, port and
/// TLS server name.
public struct ResolvedDNSServer: Codable, Sendable, Hashable {
    /// `AF_INET` (2) or `AF_INET6` (10).
    public var family: Int32
    public var address: [UInt8]
    /// 0 means the default port 53.
    public var port: UInt16
    public var serverName: String

    /// Creates a server entry.
    public init(family: Int32, address: [UInt8], port: UInt16, serverName: String = "") {
        self.family = family
        self.address = address
        self.port = port
        self.serverName = serverName
    }
}

/// One entry of a link's domain list: a name and whether it is routing-only (`~name`).
public struct ResolvedDomain: Codable, Sendable, Hashable {
    public var name: String
    public var routingOnly: Bool

    /// Creates a domain entry.
    public init(name: String, routingOnly: Bool) {
        self.name = name
        self.routingOnly = routingOnly
    }
}

/// What resolved holds for one link (the parts the agent sets).
public struct ResolvedLinkSettings: Codable, Sendable, Hashable {
    public var servers: [ResolvedDNSServer]
    public var domains: [ResolvedDomain]
    public var defaultRoute: Bool?

    /// Creates link settings.
    public init(servers: [ResolvedDNSServer] = [], domains: [ResolvedDomain] = [], defaultRoute: Bool? = nil) {
        self.servers = servers
        self.domains = domains
        self.defaultRoute = defaultRoute
    }
}

/// systemd-resolved's per-link D-Bus API (`org.freedesktop.resolve1.Manager`), as the agent uses it.
public protocol ResolvedBus: Sendable {
    /// True when `org.freedesktop.resolve1` has an owner on the system bus.
    func isAvailable() -> Bool
    /// The link's current settings.
    func linkSettings(ifindex: Int32) throws -> ResolvedLinkSettings
    /// `SetLinkDNSEx`: servers with ports.
    func setLinkDNS(ifindex: Int32, servers: [ResolvedDNSServer]) throws
    /// `SetLinkDomains`: search and routing-only domains.
    func setLinkDomains(ifindex: Int32, domains: [ResolvedDomain]) throws
    /// `SetLinkDefaultRoute`.
    func setLinkDefaultRoute(ifindex: Int32, enabled: Bool) throws
    /// `RevertLink`: drops everything set over the bus for the link.
    func revertLink(ifindex: Int32) throws
}
