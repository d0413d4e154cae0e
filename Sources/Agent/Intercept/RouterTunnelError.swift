/// Why a connection to the router failed.
public enum RouterTunnelError: Error, CustomStringConvertible, Sendable {
    case wrongServerIdentity(String)
    case closedDuringHandshake
    case noTunnelConfigured

    public var description: String {
        switch self {
        case .wrongServerIdentity(let name): return "the router's certificate does not name \(name)"
        case .closedDuringHandshake: return "the router closed the connection during the handshake"
        case .noTunnelConfigured: return "the config names no tunnel listener"
        }
    }
}
