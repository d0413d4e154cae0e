/// Why a verified certificate is still not let in: the registry decides by CN and serial.
public enum IdentityRefusal: String, Sendable, Hashable, CaseIterable {
    /// The CN is not a registered endpoint.
    case unknownEndpoint = "unknown_endpoint"
    /// The endpoint is revoked (every serial it ever had is refused).
    case revoked
    /// The serial is not the endpoint's current one, nor the previous one in its grace window:
    /// an older certificate of the CN, a copy replaced by re-enrollment, or a grace window passed.
    case staleSerial = "stale_serial"
    /// The certificate's validity ended (a resumed TLS session skips chain verification; the
    /// end of validity is checked again whenever the identity is used).
    case certificateExpired = "certificate_expired"

    /// Words for the log.
    public var explanation: String {
        switch self {
        case .unknownEndpoint: return "unknown endpoint"
        case .revoked: return "endpoint revoked"
        case .staleSerial: return "certificate serial is not the endpoint's current one"
        case .certificateExpired: return "certificate expired"
        }
    }
}
