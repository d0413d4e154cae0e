/// POST /v1/enroll: a one-time token and the CSR of a key made on the host.
public struct EnrollRequest: Codable, Sendable {
    public var token: String
    /// PEM "CERTIFICATE REQUEST".
    public var csr: String
    public init(token: String, csr: String) {
        self.token = token
        self.csr = csr
    }
}

/// The server's answer to enroll and renew.
public struct IdentityResponse: Codable, Sendable {
    /// PEM: the endpoint's certificate (leaf only; the CA is separate).
    public var certificate: String
    /// PEM: the CA certificate.
    public var ca: String
    /// The config-signing public keys to pin: kid -> PEM public key.
    public var signingKeys: [String: String]
    /// The endpoint's first (or current) signed config, a JWT.
    public var config: String
    public init(certificate: String, ca: String, signingKeys: [String: String], config: String) {
        self.certificate = certificate
        self.ca = ca
        self.signingKeys = signingKeys
        self.config = config
    }
}

/// POST /v1/renew (mutual TLS with the current certificate): the CSR of a new key.
public struct RenewRequest: Codable, Sendable {
    public var csr: String
    public init(csr: String) { self.csr = csr }
}

/// GET /v1/config (mutual TLS): the endpoint's current signed config.
public struct ConfigResponse: Codable, Sendable {
    public var config: String
    public init(config: String) { self.config = config }
}

/// GET /v1/ca: the CA bundle, and the config-signing keys.
public struct AuthorityResponse: Codable, Sendable {
    public var ca: String
    public var signingKeys: [String: String]
    public init(ca: String, signingKeys: [String: String]) {
        self.ca = ca
        self.signingKeys = signingKeys
    }
}

/// Every API error: a stable machine code and a sentence for people.
public struct APIErrorBody: Codable, Sendable, Error, CustomStringConvertible {
    public var code: APIErrorCode
    public var message: String
    public init(code: APIErrorCode, message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { "\(self.code.rawValue): \(self.message)" }
}

/// Stable error codes of the enrollment and admin API.
public enum APIErrorCode: String, Codable, Sendable {
    case tokenInvalid = "token_invalid"
    case tokenExpired = "token_expired"
    case tokenUsed = "token_used"
    case csrInvalid = "csr_invalid"
    case certificateRequired = "certificate_required"
    case endpointUnknown = "endpoint_unknown"
    case endpointRevoked = "endpoint_revoked"
    case badRequest = "bad_request"
    case notServiceEndpoint = "not_service_endpoint"
    case domainNotDelegated = "domain_not_delegated"
    case serviceConflict = "service_conflict"
    /// A service's target is in a network the router refuses to dial (loopback, link-local,
    /// unspecified, the server's own addresses) and the operator did not allow it.
    case backendNotAllowed = "backend_not_allowed"
    case notFound = "not_found"
    case methodNotAllowed = "method_not_allowed"
    case unsupportedMediaType = "unsupported_media_type"
    case internalError = "internal_error"
}
