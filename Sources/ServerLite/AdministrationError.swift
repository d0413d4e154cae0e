/// A refused administrative change.
public enum AdministrationError: Error, CustomStringConvertible, Sendable {
    case invalid(String)

    public var description: String {
        switch self {
        case .invalid(let why): return why
        }
    }
}
