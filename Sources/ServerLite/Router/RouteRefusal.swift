/// Why the router closed a connection without routing it.
enum RouteRefusal: String, Error, Sendable {
    case noServerName = "no_sni"
    case unknownName = "unknown_name"
    case notAllowed = "not_allowed"
    case endpointInactive = "endpoint_inactive"
    case notPassthrough = "not_passthrough"
    case serviceInactive = "service_inactive"
    case noCertificate = "no_certificate"
    case notServiceEndpoint = "not_service_endpoint"
    case badHello = "bad_client_hello"
    case overCapacity = "over_capacity"
}
