/// Typed RDATA of a resource record.
///
/// Types without a dedicated case are kept raw in `.unknown` (RFC 3597); names inside them are
/// not decompressed. Outside class IN, empty RDATA and A/AAAA data of a non-IN shape are also
/// kept as `.unknown` (see `DNSMessage.init(parsing:)`).
public enum DNSRecordData: Hashable, Sendable {
    /// An IPv4 address (type A).
    case a(IPv4Address)
    /// An IPv6 address (type AAAA).
    case aaaa(IPv6Address)
    /// A name server (type NS).
    case ns(DNSName)
    /// A canonical name (type CNAME).
    case cname(DNSName)
    /// A domain name pointer (type PTR).
    case ptr(DNSName)
    /// Start of authority (type SOA).
    case soa(DNSStartOfAuthority)
    /// Mail exchange (type MX).
    case mx(preference: UInt16, exchange: DNSName)
    /// Character-strings (type TXT), each at most 255 bytes; at least one string is required.
    case txt([[UInt8]])
    /// Service locator (type SRV, RFC 2782); the target is never compressed.
    case srv(priority: UInt16, weight: UInt16, port: UInt16, target: DNSName)
    /// Any other type, with its RDATA bytes kept verbatim.
    case unknown(type: DNSRecordType, bytes: [UInt8])

    /// The RR type this data belongs to.
    public var type: DNSRecordType {
        switch self {
        case .a: return .a
        case .aaaa: return .aaaa
        case .ns: return .ns
        case .cname: return .cname
        case .ptr: return .ptr
        case .soa: return .soa
        case .mx: return .mx
        case .txt: return .txt
        case .srv: return .srv
        case .unknown(let type, _): return type
        }
    }
}

extension DNSRecordData {
    /// Uncompressed RDATA size, used only to size output buffers.
    internal var estimatedWireLength: Int {
        switch self {
        case .a: return 4
        case .aaaa: return 16
        case .ns(let name), .cname(let name), .ptr(let name): return name.wireLength
        case .soa(let soa): return soa.primaryServer.wireLength + soa.responsibleMailbox.wireLength + 20
        case .mx(_, let exchange): return 2 + exchange.wireLength
        case .txt(let strings): return strings.reduce(0) { $0 + 1 + $1.count }
        case .srv(_, _, _, let target): return 6 + target.wireLength
        case .unknown(_, let bytes): return bytes.count
        }
    }
}
