/// A zone or registry that cannot be used as written.
public enum ZoneError: Error, CustomStringConvertible, Sendable, Equatable {
    case badZoneName(String, String)
    case badRecord(String, String)
    case unknownZone(String)
    case zoneExists(String)
    /// `zone disallow` for a CN the zone does not list.
    case notAllowed(zone: String, commonName: String)
    /// A record set too large for any DNS message.
    case tooLarge(owner: String, bytes: Int)
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case .badZoneName(let name, let why): return "bad zone name '\(name)': \(why)"
        case .badRecord(let record, let why): return "bad record '\(record)': \(why)"
        case .unknownZone(let name): return "no zone named '\(name)'"
        case .zoneExists(let name): return "zone '\(name)' already exists"
        case .notAllowed(let zone, let commonName): return "'\(commonName)' is not on zone '\(zone)''s allow list; nothing changed"
        case .tooLarge(let owner, let bytes):
            return "the records of '\(owner)' need \(bytes == 65_536 ? "more than 65535" : "\(bytes)") bytes in an answer: more than a DNS message holds (65535)"
        case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
        }
    }
}
