/// What the registry did with a renewal.
public enum RenewalOutcome: Sendable, Equatable {
    /// The new serial is current; the presented one is the previous, in its grace window.
    case renewed
    /// No endpoint of that name.
    case unknownEndpoint
    /// The endpoint is revoked.
    case revoked
    /// The certificate that asked is not the endpoint's current one (an older or a copied one).
    case notCurrentSerial
}
