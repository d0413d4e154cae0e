/// The slot accounting of one listener, as a value: which source addresses hold how many
/// unauthenticated connections, and which identities how many authenticated ones. Every
/// change returns its decision; nothing here knows about channels or clocks.
///
/// A connection's life: ``open(source:)``; if admitted, either ``release(source:)`` (closed
/// before authenticating) or ``authenticate(source:identity:)``; if that admits, later
/// ``release(identity:)``. A connection that `authenticate` refused holds nothing.
public struct ConnectionAdmissionState: Sendable, Hashable {
    public let limits: ConnectionAdmissionLimits
    /// Unauthenticated connections now, by source address.
    public private(set) var unauthenticatedBySource: [String: Int] = [:]
    /// Unauthenticated connections now, all sources.
    public private(set) var unauthenticated = 0
    /// Authenticated connections now, by identity.
    public private(set) var authenticatedByIdentity: [String: Int] = [:]

    public init(limits: ConnectionAdmissionLimits) {
        self.limits = limits
    }

    /// A new connection from `source` (its IP address, no port).
    public mutating func open(source: String) -> ConnectionAdmissionDecision {
        let held = self.unauthenticatedBySource[source, default: 0]
        if held >= self.limits.maximumUnauthenticatedPerSource { return .refuse(.sourceLimit) }
        if self.unauthenticated >= self.limits.maximumUnauthenticated { return .refuse(.unauthenticatedLimit) }
        if held > 0, self.unauthenticated >= self.limits.maximumUnauthenticated - self.limits.reserveForNewSources {
            return .refuse(.reserveHeld)
        }
        self.unauthenticatedBySource[source] = held + 1
        self.unauthenticated += 1
        return .admit
    }

    /// An admitted unauthenticated connection from `source` closed (or timed out).
    public mutating func release(source: String) {
        guard let held = self.unauthenticatedBySource[source], held > 0 else { return }
        self.unauthenticatedBySource[source] = held > 1 ? held - 1 : nil
        self.unauthenticated -= 1
    }

    /// An admitted connection from `source` completed its handshake as `identity`: its
    /// unauthenticated slot is given back, and it takes one of the identity's, if one is free.
    public mutating func authenticate(source: String, identity: String) -> ConnectionAdmissionDecision {
        self.release(source: source)
        let held = self.authenticatedByIdentity[identity, default: 0]
        if held >= self.limits.maximumPerIdentity { return .refuse(.identityLimit) }
        self.authenticatedByIdentity[identity] = held + 1
        return .admit
    }

    /// An admitted authenticated connection of `identity` closed.
    public mutating func release(identity: String) {
        guard let held = self.authenticatedByIdentity[identity], held > 0 else { return }
        self.authenticatedByIdentity[identity] = held > 1 ? held - 1 : nil
    }
}
