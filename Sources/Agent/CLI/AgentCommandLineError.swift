/// A command line the agent refuses before doing anything: one line saying which options and
/// why (not ArgumentParser's usage dump, which buries the reason under the whole help text).
enum AgentCommandLineError: Error, CustomStringConvertible {
    /// Two options that select the same thing in different ways.
    case exclusiveOptions(first: String, second: String, advice: String)
    /// An option's value is out of its range.
    case invalidValue(option: String, value: String, requirement: String)

    var description: String {
        switch self {
        case .exclusiveOptions(let first, let second, let advice):
            return "\(first) and \(second) cannot be combined: \(advice)"
        case .invalidValue(let option, let value, let requirement):
            return "\(option) \(value): \(requirement)"
        }
    }
}
