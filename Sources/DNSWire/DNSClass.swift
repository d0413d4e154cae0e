/// A DNS CLASS (or QCLASS) code.
public struct DNSClass: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The 16-bit class code.
    public var rawValue: UInt16

    /// Wraps a class code.
    @inlinable
    public init(rawValue: UInt16) {
        self.rawValue = rawValue
    }

    /// The Internet class IN (1).
    public static let internet = DNSClass(rawValue: 1)
    /// The Chaos class CH (3).
    public static let chaos = DNSClass(rawValue: 3)
    /// Hesiod HS (4).
    public static let hesiod = DNSClass(rawValue: 4)
    /// NONE (254), used by dynamic update.
    public static let none = DNSClass(rawValue: 254)
    /// Any class, query only (255).
    public static let any = DNSClass(rawValue: 255)

    /// Parses `"IN"`, `"CH"`, `"HS"`, `"NONE"`, `"ANY"` case-insensitively or `"CLASS3"`.
    public init?(mnemonic: String) {
        switch mnemonic.uppercased() {
        case "IN": self = .internet
        case "CH": self = .chaos
        case "HS": self = .hesiod
        case "NONE": self = .none
        case "ANY": self = .any
        case let upper where upper.hasPrefix("CLASS"):
            guard let value = parseDecimalUInt16(upper.dropFirst(5)) else { return nil }
            self.init(rawValue: value)
        default:
            return nil
        }
    }

    /// `"IN"`, `"CH"`, `"HS"`, `"NONE"`, `"ANY"` or `"CLASS7"`-style text.
    public var description: String {
        switch rawValue {
        case 1: return "IN"
        case 3: return "CH"
        case 4: return "HS"
        case 254: return "NONE"
        case 255: return "ANY"
        default: return "CLASS\(rawValue)"
        }
    }
}
