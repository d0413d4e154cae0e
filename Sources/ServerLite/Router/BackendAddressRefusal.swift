/// Why the router will not dial a backend address: it points the router at itself or at a
/// network a service endpoint has no business reaching through it.
public enum BackendAddressRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    case loopback(String)
    case linkLocal(String)
    case unspecified(String)
    /// One of the server's own interface addresses.
    case serverAddress(String)
    /// The name resolved to no address at all.
    case unresolvable(String)

    /// The counted reason (router refusals, registration log).
    public static let reason = "backend_network_refused"

    public var description: String {
        switch self {
        case .loopback(let address): return "\(address) is a loopback address"
        case .linkLocal(let address): return "\(address) is a link-local address"
        case .unspecified(let address): return "\(address) is the unspecified address"
        case .serverAddress(let address): return "\(address) is one of the server's own addresses"
        case .unresolvable(let host): return "\(host) resolves to no address"
        }
    }
}
