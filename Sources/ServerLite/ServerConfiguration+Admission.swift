import ConnectionAdmission
import NIOCore

extension ServerConfiguration {
    /// The caps the DoT and API listeners apply to connections in handshake and per endpoint.
    var admissionLimits: ConnectionAdmissionLimits {
        self.admissionLimits(perEndpoint: self.maximumConnectionsPerEndpoint)
    }

    /// The caps the router's listeners apply (tunnels per endpoint).
    var tunnelAdmissionLimits: ConnectionAdmissionLimits {
        self.admissionLimits(perEndpoint: self.maximumTunnelsPerEndpoint)
    }

    private func admissionLimits(perEndpoint: Int) -> ConnectionAdmissionLimits {
        ConnectionAdmissionLimits(
            maximumUnauthenticated: self.maximumHandshakingConnections,
            reserveForNewSources: self.handshakeReserveForNewSources,
            maximumUnauthenticatedPerSource: self.maximumHandshakingPerSource,
            maximumPerIdentity: perEndpoint
        )
    }

    /// ``handshakeTimeoutSeconds`` as a time amount.
    var handshakeTimeout: TimeAmount {
        .nanoseconds(Int64(self.handshakeTimeoutSeconds * 1_000_000_000))
    }
}
