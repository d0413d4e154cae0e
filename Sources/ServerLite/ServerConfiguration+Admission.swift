import ConnectionAdmission
import NIOCore

extension ServerConfiguration {
    /// The caps each listener applies to connections in handshake and per endpoint.
    var admissionLimits: ConnectionAdmissionLimits {
        ConnectionAdmissionLimits(
            maximumUnauthenticated: self.maximumHandshakingConnections,
            reserveForNewSources: self.handshakeReserveForNewSources,
            maximumUnauthenticatedPerSource: self.maximumHandshakingPerSource,
            maximumPerIdentity: self.maximumConnectionsPerEndpoint
        )
    }

    /// ``handshakeTimeoutSeconds`` as a time amount.
    var handshakeTimeout: TimeAmount {
        .nanoseconds(Int64(self.handshakeTimeoutSeconds * 1_000_000_000))
    }
}
