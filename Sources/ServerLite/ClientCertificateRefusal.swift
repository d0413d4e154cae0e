/// Why the DoT handshake refused a client certificate.
public enum ClientCertificateRefusal: Sendable, Hashable {
    /// No certificate, or one that does not parse.
    case noCertificate
    /// The chain does not verify to the CA (expired, foreign or malformed).
    case chainInvalid
    /// The leaf is not for client authentication.
    case notClientAuthentication
    /// The leaf has no CN.
    case noCommonName
    /// The registry does not let this CN and serial in.
    case identity(IdentityRefusal)

    /// Words for the log.
    public var explanation: String {
        switch self {
        case .noCertificate: return "no usable client certificate"
        case .chainInvalid: return "certificate does not verify against the CA (expired, foreign or malformed)"
        case .notClientAuthentication: return "certificate is not for client authentication"
        case .noCommonName: return "certificate has no CN"
        case .identity(let refusal): return refusal.explanation
        }
    }
}
