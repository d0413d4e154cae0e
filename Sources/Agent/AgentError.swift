/// Why the agent cannot do what it was asked.
public enum AgentError: Error, CustomStringConvertible, Sendable {
    case configuration(String)

    public var description: String {
        switch self {
        case .configuration(let why): return why
        }
    }
}
