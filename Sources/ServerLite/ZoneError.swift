/// A zone or registry that cannot be used as written.
public enum ZoneError: Error, CustomStringConvertible, Sendable, Equatable {
    case badZoneName(String, String)
    case badRecord(String, String)
    case unknownZone(String)
    case zoneExists(String)
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case .badZoneName(let name, let why): return "bad zone name '\(name)': \(why)"
        case .badRecord(let record, let why): return "bad record '\(record)': \(why)"
        case .unknownZone(let name): return "no zone named '\(name)'"
        case .zoneExists(let name): return "zone '\(name)' already exists"
        case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
        }
    }
}
