/// Points systemd-resolved at the stub on a link the agent owns, over D-Bus: `SetLinkDNSEx` (with
/// the stub's port), `SetLinkDomains` with routing-only domains (`~corp.example` for split DNS, `~.`
/// to take every name) and `SetLinkDefaultRoute`. `revert` calls `RevertLink`, restores what the
/// link held before, and deletes the link when the agent created it.
///
/// The kernel may lack the `dummy` link type, so the owned link is a veth pair (`zt0`/`zt0p`)
/// with a /32 link-local address: resolved only sends queries over links with carrier and an address.
public struct SystemdResolvedBackend: ResolverBackend {
    public let mode = ResolverMode.systemdResolved
    static let ipPrograms = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]

    /// Creates the backend.
    public init() {}

    /// What the link must hold for `request`.
    public static func desiredSettings(_ request: DNSApplyRequest) -> ResolvedLinkSettings {
        let (family, bytes) = request.stub.familyAndBytes
        let domains = request.routesEverything
            ? [ResolvedDomain(name: ".", routingOnly: true)]
            : request.domains.map { ResolvedDomain(name: $0, routingOnly: true) }
        return ResolvedLinkSettings(
            servers: [ResolvedDNSServer(family: family, address: bytes, port: request.stub.port)],
            domains: domains,
            defaultRoute: request.routesEverything
        )
    }

    func ip(_ environment: any HostEnvironment) throws -> String {
        guard let program = environment.firstExecutable(Self.ipPrograms) else { throw HostDNSError.command("ip (iproute2) is not installed") }
        return program
    }

    /// The link's index, or nil when there is no such link.
    func linkIndex(_ name: String, environment: any HostEnvironment) throws -> Int32? {
        let result = try environment.run(try self.ip(environment), ["-o", "link", "show", "dev", name], input: nil)
        guard result.status == 0 else { return nil }
        // "7: zt0@zt0p: <BROADCAST,...> ..."
        guard let colon = result.standardOutput.firstIndex(of: ":") else { return nil }
        return Int32(String(result.standardOutput[..<colon].filter { $0 != " " }))
    }

    func runIP(_ arguments: [String], environment: any HostEnvironment) throws {
        let result = try environment.run(try self.ip(environment), arguments, input: nil)
        guard result.status == 0 else {
            throw HostDNSError.command("ip \(arguments.joined(separator: " ")) failed (exit \(result.status)): \(result.standardError)")
        }
    }

    public func apply(_ request: DNSApplyRequest, existing: DNSIntegrationState?, context: BackendContext) throws -> DNSIntegrationState {
        let environment = context.environment
        let bus = environment.resolved
        guard bus.isAvailable() else {
            throw HostDNSError.bus("org.freedesktop.resolve1 does not answer on the system bus (is systemd-resolved running?)")
        }
        let desired = Self.desiredSettings(request)
        var state = existing ?? DNSIntegrationState(mode: .systemdResolved, request: request, now: context.now)
        state.request = request
        state.phase = .applying
        var record = existing?.resolved ?? .init(linkName: request.linkName, ifindex: nil, createdLink: false, previous: nil, applied: desired)
        record.applied = desired

        var index = try self.linkIndex(request.linkName, environment: environment)
        if index == nil {
            guard request.createLink else {
                throw HostDNSError.invalidRequest("link \(request.linkName) does not exist (create it, or let ztagent create it)")
            }
            // Recorded before the link exists, so an interrupted apply still deletes it on revert.
            record.createdLink = true
            state.resolved = record
            try context.store.save(state)
            try environment.crashPoint("dns-apply:before-link")
            try self.runIP(["link", "add", request.linkName, "type", "veth", "peer", "name", request.linkName + "p"], environment: environment)
            index = try self.linkIndex(request.linkName, environment: environment)
        } else if existing == nil {
            record.previous = try? bus.linkSettings(ifindex: index ?? 0)
        }
        guard let ifindex = index else { throw HostDNSError.command("link \(request.linkName) has no index after creation") }
        if record.createdLink {
            try self.runIP(["addr", "replace", request.linkAddress, "dev", request.linkName], environment: environment)
            try self.runIP(["link", "set", request.linkName + "p", "up"], environment: environment)
            try self.runIP(["link", "set", request.linkName, "up"], environment: environment)
        }
        record.ifindex = ifindex
        state.resolved = record
        try context.store.save(state)
        try environment.crashPoint("dns-apply:after-state")

        try bus.setLinkDNS(ifindex: ifindex, servers: desired.servers)
        try bus.setLinkDomains(ifindex: ifindex, domains: desired.domains)
        try bus.setLinkDefaultRoute(ifindex: ifindex, enabled: request.routesEverything)
        state.phase = .applied
        state.appliedAt = context.now
        try context.store.save(state)
        return state
    }

    public func revert(_ state: DNSIntegrationState, context: BackendContext) throws -> [String] {
        let environment = context.environment
        guard let record = state.resolved else {
            try context.store.clear()
            return ["nothing was changed"]
        }
        var notes: [String] = []
        let index = try self.linkIndex(record.linkName, environment: environment)
        if let index {
            if environment.resolved.isAvailable() {
                try environment.resolved.revertLink(ifindex: index)
                notes.append("reverted resolved's settings of \(record.linkName)")
                if !record.createdLink, let previous = record.previous, !previous.servers.isEmpty || !previous.domains.isEmpty {
                    try environment.resolved.setLinkDNS(ifindex: index, servers: previous.servers)
                    try environment.resolved.setLinkDomains(ifindex: index, domains: previous.domains)
                    if let route = previous.defaultRoute { try environment.resolved.setLinkDefaultRoute(ifindex: index, enabled: route) }
                    notes.append("restored the link's previous DNS settings")
                }
            } else {
                notes.append("systemd-resolved is not running: it holds no settings for \(record.linkName)")
            }
            if record.createdLink {
                try self.runIP(["link", "del", record.linkName], environment: environment)
                notes.append("deleted link \(record.linkName)")
            }
        } else {
            notes.append("link \(record.linkName) is gone; nothing to revert in resolved")
        }
        try context.store.clear()
        return notes
    }

    public func isApplied(_ state: DNSIntegrationState, context: BackendContext) -> Bool {
        guard let record = state.resolved,
              let index = try? self.linkIndex(record.linkName, environment: context.environment),
              context.environment.resolved.isAvailable(),
              let settings = try? context.environment.resolved.linkSettings(ifindex: index) else { return false }
        return Set(settings.servers) == Set(record.applied.servers) && Set(settings.domains) == Set(record.applied.domains)
    }
}
