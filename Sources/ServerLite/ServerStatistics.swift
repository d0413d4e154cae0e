import Synchronization

/// The server's counters.
public final class ServerStatistics: Sendable {
    let tlsConnectionsAccepted = Atomic<Int>(0)
    let tlsConnectionsAuthenticated = Atomic<Int>(0)
    let connectionsRefusedUnknownEndpoint = Atomic<Int>(0)
    let connectionsRefusedRevoked = Atomic<Int>(0)
    let connectionsRefusedNoCertificate = Atomic<Int>(0)
    let connectionsRefusedStaleSerial = Atomic<Int>(0)
    let apiRefusedUnknownEndpoint = Atomic<Int>(0)
    let apiRefusedRevoked = Atomic<Int>(0)
    let apiRefusedStaleSerial = Atomic<Int>(0)
    let registryReadFailures = Atomic<Int>(0)
    let queries = Atomic<Int>(0)
    let privateAnswers = Atomic<Int>(0)
    let hiddenRefusals = Atomic<Int>(0)
    /// Service registrations refused for their backend's address.
    let refusedBackends = Atomic<Int>(0)
    let forwarded = Atomic<Int>(0)
    let upstreamFailures = Atomic<Int>(0)
    let formatErrors = Atomic<Int>(0)
    let droppedMalformed = Atomic<Int>(0)

    public init() {}

    /// Counts a DoT handshake the verifier refused.
    func refusedHandshake(_ refusal: ClientCertificateRefusal) {
        switch refusal {
        case .identity(.revoked): self.connectionsRefusedRevoked.wrappingAdd(1, ordering: .relaxed)
        case .identity(.unknownEndpoint): self.connectionsRefusedUnknownEndpoint.wrappingAdd(1, ordering: .relaxed)
        case .identity(.staleSerial): self.connectionsRefusedStaleSerial.wrappingAdd(1, ordering: .relaxed)
        case .identity(.certificateExpired), .noCertificate, .chainInvalid, .notClientAuthentication, .noCommonName:
            self.connectionsRefusedNoCertificate.wrappingAdd(1, ordering: .relaxed)
        }
    }

    /// Counts an API call refused for its client certificate's registry standing.
    func refusedAPICall(_ refusal: IdentityRefusal) {
        switch refusal {
        case .revoked: self.apiRefusedRevoked.wrappingAdd(1, ordering: .relaxed)
        case .unknownEndpoint: self.apiRefusedUnknownEndpoint.wrappingAdd(1, ordering: .relaxed)
        case .staleSerial, .certificateExpired: self.apiRefusedStaleSerial.wrappingAdd(1, ordering: .relaxed)
        }
    }

    public func snapshot() -> ServerStatisticsSnapshot {
        ServerStatisticsSnapshot(
            tlsConnectionsAccepted: self.tlsConnectionsAccepted.load(ordering: .relaxed),
            tlsConnectionsAuthenticated: self.tlsConnectionsAuthenticated.load(ordering: .relaxed),
            connectionsRefusedUnknownEndpoint: self.connectionsRefusedUnknownEndpoint.load(ordering: .relaxed),
            connectionsRefusedRevoked: self.connectionsRefusedRevoked.load(ordering: .relaxed),
            connectionsRefusedNoCertificate: self.connectionsRefusedNoCertificate.load(ordering: .relaxed),
            connectionsRefusedStaleSerial: self.connectionsRefusedStaleSerial.load(ordering: .relaxed),
            apiRefusedUnknownEndpoint: self.apiRefusedUnknownEndpoint.load(ordering: .relaxed),
            apiRefusedRevoked: self.apiRefusedRevoked.load(ordering: .relaxed),
            apiRefusedStaleSerial: self.apiRefusedStaleSerial.load(ordering: .relaxed),
            registryReadFailures: self.registryReadFailures.load(ordering: .relaxed),
            queries: self.queries.load(ordering: .relaxed),
            privateAnswers: self.privateAnswers.load(ordering: .relaxed),
            hiddenRefusals: self.hiddenRefusals.load(ordering: .relaxed),
            refusedBackends: self.refusedBackends.load(ordering: .relaxed),
            forwarded: self.forwarded.load(ordering: .relaxed),
            upstreamFailures: self.upstreamFailures.load(ordering: .relaxed),
            formatErrors: self.formatErrors.load(ordering: .relaxed),
            droppedMalformed: self.droppedMalformed.load(ordering: .relaxed)
        )
    }
}

/// The server's counters at one moment.
public struct ServerStatisticsSnapshot: Sendable, Codable, Hashable {
    /// TCP connections that reached the TLS layer.
    public var tlsConnectionsAccepted: Int
    /// Connections whose handshake completed with a registered, active CN.
    public var tlsConnectionsAuthenticated: Int
    public var connectionsRefusedUnknownEndpoint: Int
    public var connectionsRefusedRevoked: Int
    public var connectionsRefusedNoCertificate: Int
    /// Handshakes with a certificate of a known, active CN whose serial is not the current one.
    public var connectionsRefusedStaleSerial: Int
    /// API calls refused for the client certificate's standing in the registry.
    public var apiRefusedUnknownEndpoint: Int
    public var apiRefusedRevoked: Int
    public var apiRefusedStaleSerial: Int
    /// Reload polls that could not read the registry (the state in force kept serving).
    public var registryReadFailures: Int
    public var queries: Int
    public var privateAnswers: Int
    /// Queries for a private zone the endpoint may not see (answered NXDOMAIN).
    public var hiddenRefusals: Int
    /// Service registrations refused because the router would dial itself.
    public var refusedBackends: Int
    public var forwarded: Int
    public var upstreamFailures: Int
    public var formatErrors: Int
    public var droppedMalformed: Int
}
