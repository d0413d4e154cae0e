/// Why a route was refused.
public enum RouteError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalid(String)
    case conflict(String)
    case notFound(String)
    case notDelegated(String)
    /// A route of that name exists; replacing it needs `--replace`.
    case exists(String)
    /// The backend is in a network the router refuses to dial (the text says which and why).
    case backendNotAllowed(String)

    public var description: String {
        switch self {
        case .invalid(let text): return "invalid route: \(text)"
        case .conflict(let text): return "route conflict: \(text)"
        case .notFound(let name): return "no route named \(name)"
        case .notDelegated(let text): return "not allowed: \(text)"
        case .exists(let name): return "route \(name) exists; pass --replace to change it"
        case .backendNotAllowed(let text): return "backend not allowed: \(text)"
        }
    }
}
