/// Why a route was refused.
public enum RouteError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalid(String)
    case conflict(String)
    case notFound(String)
    case notDelegated(String)

    public var description: String {
        switch self {
        case .invalid(let text): return "invalid route: \(text)"
        case .conflict(let text): return "route conflict: \(text)"
        case .notFound(let name): return "no route named \(name)"
        case .notDelegated(let text): return "not allowed: \(text)"
        }
    }
}
