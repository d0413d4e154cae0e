/// What a backend works with: the host, the state store, and the clock.
public struct BackendContext: Sendable {
    public let environment: any HostEnvironment
    public let store: DNSStateStore
    /// Seconds since 1970.
    public let now: Double

    /// Creates a context.
    public init(environment: any HostEnvironment, store: DNSStateStore, now: Double) {
        self.environment = environment
        self.store = store
        self.now = now
    }
}

/// One way of pointing the host's resolver at the stub. Each backend writes the state file before
/// every change it makes, so that `revert` (or the next `apply`) finishes or undoes an interrupted one.
public protocol ResolverBackend: Sendable {
    /// The mode this backend implements.
    var mode: ResolverMode { get }
    /// Applies `request`. `existing` is this mode's earlier state (an interrupted or overwritten
    /// apply to finish), or nil for a fresh one. Returns the final state (already saved).
    func apply(_ request: DNSApplyRequest, existing: DNSIntegrationState?, context: BackendContext) throws -> DNSIntegrationState
    /// Undoes `state` and removes it from the store. Returns notes for the operator.
    func revert(_ state: DNSIntegrationState, context: BackendContext) throws -> [String]
    /// True when what `state` records is still in force on the host.
    func isApplied(_ state: DNSIntegrationState, context: BackendContext) -> Bool
}
