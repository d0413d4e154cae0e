/// NetworkManager owns /etc/resolv.conf: the agent does not fight it. `apply` changes nothing and
/// explains the two ways forward (see ``ResolverDetection``'s advice).
public struct NetworkManagerBackend: ResolverBackend {
    public let mode = ResolverMode.networkManager

    /// Creates the backend.
    public init() {}

    public func apply(_ request: DNSApplyRequest, existing: DNSIntegrationState?, context: BackendContext) throws -> DNSIntegrationState {
        throw HostDNSError.operatorActionRequired(ResolverDetection.networkManagerAdvice)
    }

    public func revert(_ state: DNSIntegrationState, context: BackendContext) throws -> [String] {
        try context.store.clear()
        return ["nothing was changed in NetworkManager mode"]
    }

    public func isApplied(_ state: DNSIntegrationState, context: BackendContext) -> Bool { false }
}
