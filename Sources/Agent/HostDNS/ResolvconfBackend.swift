/// Hands the stub to resolvconf (Debian's or openresolv) as the interface record `lo.ztagent`,
/// which resolvconf's default interface order puts first; `revert` deletes the record.
public struct ResolvconfBackend: ResolverBackend {
    public let mode = ResolverMode.resolvconf
    /// The interface record name.
    public static let interface = "lo.ztagent"

    /// Creates the backend.
    public init() {}

    public func apply(_ request: DNSApplyRequest, existing: DNSIntegrationState?, context: BackendContext) throws -> DNSIntegrationState {
        guard request.stub.port == 53 else {
            throw HostDNSError.invalidRequest("resolvconf cannot carry a port: the stub must listen on port 53 for mode resolvconf (it is \(request.stub))")
        }
        let environment = context.environment
        guard let program = environment.firstExecutable(ResolverDetection.resolvconfPrograms) else {
            throw HostDNSError.command("resolvconf is not installed")
        }
        let originals = (try environment.readFile(ResolverDetection.resolvConf)).map { ResolvConfFile(bytes: $0).nameservers } ?? []
        var state = existing ?? DNSIntegrationState(mode: .resolvconf, request: request, now: context.now)
        state.request = request
        state.phase = .applying
        let recorded = existing?.resolvconf?.originalNameservers ?? ResolvConfFile.usableUpstreams(originals, stub: request.stub)
        state.resolvconf = .init(program: program, interface: Self.interface, originalNameservers: recorded)
        try context.store.save(state)
        try environment.crashPoint("dns-apply:after-state")
        let result = try environment.run(program, ["-a", Self.interface], input: "nameserver \(request.stub.ip)\n")
        guard result.status == 0 else {
            throw HostDNSError.command("\(program) -a \(Self.interface) failed (exit \(result.status)): \(result.standardError)")
        }
        state.phase = .applied
        state.appliedAt = context.now
        try context.store.save(state)
        return state
    }

    public func revert(_ state: DNSIntegrationState, context: BackendContext) throws -> [String] {
        let program = state.resolvconf?.program ?? context.environment.firstExecutable(ResolverDetection.resolvconfPrograms)
        var notes: [String] = []
        if let program {
            let result = try context.environment.run(program, ["-d", Self.interface, "-f"], input: nil)
            guard result.status == 0 else {
                throw HostDNSError.command("\(program) -d \(Self.interface) failed (exit \(result.status)): \(result.standardError)")
            }
            notes.append("removed the resolvconf record \(Self.interface)")
        } else {
            notes.append("resolvconf is no longer installed; nothing to remove")
        }
        try context.store.clear()
        return notes
    }

    public func isApplied(_ state: DNSIntegrationState, context: BackendContext) -> Bool {
        guard let bytes = try? context.environment.readFile(ResolverDetection.resolvConf) else { return false }
        return ResolvConfFile(bytes: bytes).nameservers.first == state.request.stub.ip
    }
}
