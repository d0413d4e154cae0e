/// Why the router closed a connection without routing it.
enum RouteRefusal: String, Error, Sendable {
    case noServerName = "no_sni"
    case unknownName = "unknown_name"
    case notAllowed = "not_allowed"
    case endpointInactive = "endpoint_inactive"
    /// The certificate's serial is not the one the registry binds to its CN.
    case staleSerial = "stale_serial"
    case notPassthrough = "not_passthrough"
    case serviceInactive = "service_inactive"
    case noCertificate = "no_certificate"
    case notServiceEndpoint = "not_service_endpoint"
    case badHello = "bad_client_hello"
    case overCapacity = "over_capacity"
}

extension RouteRefusal {
    /// The router's reason for a registry refusal of the client's identity.
    init(_ refusal: IdentityRefusal) {
        switch refusal {
        case .unknownEndpoint, .revoked: self = .endpointInactive
        case .staleSerial, .certificateExpired: self = .staleSerial
        }
    }
}
