/// The caps one listener enforces on connections that have not finished their handshake
/// ("unauthenticated") and on connections of one authenticated identity.
public struct ConnectionAdmissionLimits: Sendable, Hashable {
    /// Unauthenticated connections open at once on the listener, the reserve included.
    public var maximumUnauthenticated: Int
    /// The last slots of ``maximumUnauthenticated``, given only to a source address that has no
    /// unauthenticated connection open: a flood from few addresses cannot take them, so a
    /// legitimate client from another address still gets in.
    public var reserveForNewSources: Int
    /// Unauthenticated connections one source address may hold at once.
    public var maximumUnauthenticatedPerSource: Int
    /// Authenticated connections one identity (certificate CN) may hold at once.
    public var maximumPerIdentity: Int

    public init(maximumUnauthenticated: Int, reserveForNewSources: Int, maximumUnauthenticatedPerSource: Int, maximumPerIdentity: Int) {
        self.maximumUnauthenticated = max(1, maximumUnauthenticated)
        self.reserveForNewSources = min(max(0, reserveForNewSources), self.maximumUnauthenticated - 1)
        self.maximumUnauthenticatedPerSource = max(1, maximumUnauthenticatedPerSource)
        self.maximumPerIdentity = max(1, maximumPerIdentity)
    }
}
