/// A DNS header OPCODE (4 bits).
public struct DNSOpcode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The opcode; only the low 4 bits are serialized.
    public var rawValue: UInt8

    /// Wraps an opcode.
    @inlinable
    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// Standard query (0).
    public static let query = DNSOpcode(rawValue: 0)
    /// Inverse query, obsolete (1).
    public static let inverseQuery = DNSOpcode(rawValue: 1)
    /// Server status request (2).
    public static let status = DNSOpcode(rawValue: 2)
    /// Zone change notification (4).
    public static let notify = DNSOpcode(rawValue: 4)
    /// Dynamic update (5).
    public static let update = DNSOpcode(rawValue: 5)

    /// `"QUERY"`, `"IQUERY"`, `"STATUS"`, `"NOTIFY"`, `"UPDATE"` or `"OPCODE7"`.
    public var description: String {
        switch rawValue {
        case 0: return "QUERY"
        case 1: return "IQUERY"
        case 2: return "STATUS"
        case 4: return "NOTIFY"
        case 5: return "UPDATE"
        default: return "OPCODE\(rawValue)"
        }
    }
}
