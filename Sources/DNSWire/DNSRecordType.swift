/// A DNS RR TYPE (or QTYPE) code.
public struct DNSRecordType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The 16-bit type code.
    public var rawValue: UInt16

    /// Wraps a type code.
    @inlinable
    public init(rawValue: UInt16) {
        self.rawValue = rawValue
    }

    /// IPv4 host address (1).
    public static let a = DNSRecordType(rawValue: 1)
    /// Authoritative name server (2).
    public static let ns = DNSRecordType(rawValue: 2)
    /// Canonical name (5).
    public static let cname = DNSRecordType(rawValue: 5)
    /// Start of a zone of authority (6).
    public static let soa = DNSRecordType(rawValue: 6)
    /// Domain name pointer (12).
    public static let ptr = DNSRecordType(rawValue: 12)
    /// Host information (13).
    public static let hinfo = DNSRecordType(rawValue: 13)
    /// Mail exchange (15).
    public static let mx = DNSRecordType(rawValue: 15)
    /// Text strings (16).
    public static let txt = DNSRecordType(rawValue: 16)
    /// SIG, used for SIG(0) (24).
    public static let sig = DNSRecordType(rawValue: 24)
    /// IPv6 host address (28).
    public static let aaaa = DNSRecordType(rawValue: 28)
    /// Service locator (33).
    public static let srv = DNSRecordType(rawValue: 33)
    /// Naming authority pointer (35).
    public static let naptr = DNSRecordType(rawValue: 35)
    /// Delegation name (39).
    public static let dname = DNSRecordType(rawValue: 39)
    /// EDNS(0) OPT pseudo-record (41).
    public static let opt = DNSRecordType(rawValue: 41)
    /// Delegation signer (43).
    public static let ds = DNSRecordType(rawValue: 43)
    /// SSH key fingerprint (44).
    public static let sshfp = DNSRecordType(rawValue: 44)
    /// DNSSEC signature (46).
    public static let rrsig = DNSRecordType(rawValue: 46)
    /// Next secure (47).
    public static let nsec = DNSRecordType(rawValue: 47)
    /// DNS key (48).
    public static let dnskey = DNSRecordType(rawValue: 48)
    /// Hashed next secure (50).
    public static let nsec3 = DNSRecordType(rawValue: 50)
    /// NSEC3 parameters (51).
    public static let nsec3param = DNSRecordType(rawValue: 51)
    /// TLSA certificate association (52).
    public static let tlsa = DNSRecordType(rawValue: 52)
    /// Service binding (64).
    public static let svcb = DNSRecordType(rawValue: 64)
    /// HTTPS service binding (65).
    public static let https = DNSRecordType(rawValue: 65)
    /// Transaction signature (250).
    public static let tsig = DNSRecordType(rawValue: 250)
    /// Incremental zone transfer (251).
    public static let ixfr = DNSRecordType(rawValue: 251)
    /// Full zone transfer (252).
    public static let axfr = DNSRecordType(rawValue: 252)
    /// Any type, query only (255).
    public static let any = DNSRecordType(rawValue: 255)
    /// Certification authority authorization (257).
    public static let caa = DNSRecordType(rawValue: 257)

    private static let mnemonics: [(UInt16, String)] = [
        (1, "A"), (2, "NS"), (5, "CNAME"), (6, "SOA"), (12, "PTR"), (13, "HINFO"), (15, "MX"),
        (16, "TXT"), (24, "SIG"), (28, "AAAA"), (33, "SRV"), (35, "NAPTR"), (39, "DNAME"),
        (41, "OPT"), (43, "DS"), (44, "SSHFP"), (46, "RRSIG"), (47, "NSEC"), (48, "DNSKEY"),
        (50, "NSEC3"), (51, "NSEC3PARAM"), (52, "TLSA"), (64, "SVCB"), (65, "HTTPS"),
        (250, "TSIG"), (251, "IXFR"), (252, "AXFR"), (255, "ANY"), (257, "CAA"),
    ]

    /// Parses a mnemonic case-insensitively (`"A"`, `"aaaa"`) or the RFC 3597 form `"TYPE65"`.
    public init?(mnemonic: String) {
        let upper = mnemonic.uppercased()
        for (code, name) in DNSRecordType.mnemonics where name == upper {
            self.init(rawValue: code)
            return
        }
        guard upper.hasPrefix("TYPE"), let value = parseDecimalUInt16(upper.dropFirst(4)) else {
            return nil
        }
        self.init(rawValue: value)
    }

    /// The mnemonic (`"A"`, `"AAAA"`) or `"TYPE65"`-style text for unnamed codes.
    public var description: String {
        for (code, name) in DNSRecordType.mnemonics where code == rawValue {
            return name
        }
        return "TYPE\(rawValue)"
    }
}

/// Parses 1 to 5 ASCII digits as a `UInt16`; nil on anything else or overflow.
internal func parseDecimalUInt16(_ text: Substring) -> UInt16? {
    let utf8 = text.utf8
    guard !utf8.isEmpty, utf8.count <= 5 else { return nil }
    var value: UInt32 = 0
    for byte in utf8 {
        guard byte >= 48, byte <= 57 else { return nil }
        value = value * 10 + UInt32(byte - 48)
    }
    guard value <= UInt32(UInt16.max) else { return nil }
    return UInt16(value)
}
