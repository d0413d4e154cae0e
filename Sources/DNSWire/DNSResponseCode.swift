/// A DNS response code, including the EDNS extended bits (12 bits in total).
public struct DNSResponseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The 12-bit extended response code (low 4 bits in the header, high 8 bits in OPT).
    public var rawValue: UInt16

    /// Wraps a response code; bits above the low 12 are dropped when serialized.
    @inlinable
    public init(rawValue: UInt16) {
        self.rawValue = rawValue
    }

    /// NOERROR (0).
    public static let noError = DNSResponseCode(rawValue: 0)
    /// FORMERR (1).
    public static let formatError = DNSResponseCode(rawValue: 1)
    /// SERVFAIL (2).
    public static let serverFailure = DNSResponseCode(rawValue: 2)
    /// NXDOMAIN (3).
    public static let nameError = DNSResponseCode(rawValue: 3)
    /// NOTIMP (4).
    public static let notImplemented = DNSResponseCode(rawValue: 4)
    /// REFUSED (5).
    public static let refused = DNSResponseCode(rawValue: 5)
    /// NOTAUTH (9).
    public static let notAuthorized = DNSResponseCode(rawValue: 9)
    /// BADVERS (16), needs EDNS.
    public static let badVersion = DNSResponseCode(rawValue: 16)
    /// BADCOOKIE (23), needs EDNS.
    public static let badCookie = DNSResponseCode(rawValue: 23)

    /// The mnemonic (`"NOERROR"`, `"NXDOMAIN"`, ...) or `"RCODE42"`.
    public var description: String {
        switch rawValue {
        case 0: return "NOERROR"
        case 1: return "FORMERR"
        case 2: return "SERVFAIL"
        case 3: return "NXDOMAIN"
        case 4: return "NOTIMP"
        case 5: return "REFUSED"
        case 6: return "YXDOMAIN"
        case 7: return "YXRRSET"
        case 8: return "NXRRSET"
        case 9: return "NOTAUTH"
        case 10: return "NOTZONE"
        case 16: return "BADVERS"
        case 23: return "BADCOOKIE"
        default: return "RCODE\(rawValue)"
        }
    }
}
