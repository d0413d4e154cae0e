/// Errors raised while parsing or serializing DNS wire format or presentation text.
///
/// Parsing arbitrary bytes never traps; every malformed input maps to one of these cases.
public enum DNSWireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Ran past the end of the message.
    case truncated
    /// Compression pointers loop (a pointer chain that does not strictly move backwards).
    case pointerLoop
    /// A compression pointer that points to itself or forward; only backward pointers are legal.
    case forwardPointer
    /// A label longer than 63 octets.
    case labelTooLong
    /// A name longer than 255 octets in wire form.
    case nameTooLong
    /// The reserved 0x40 / 0x80 label types.
    case invalidLabelType
    /// Header counts promise more records than the message holds.
    case countOverrun
    /// RDATA does not match its type's format, or its parse does not consume exactly RDLENGTH.
    case badRData(type: UInt16)
    /// More than one OPT pseudo-record.
    case multipleOPT
    /// An OPT record outside the additional section, or an OPT whose owner is not the root.
    case misplacedOPT
    /// Bytes left after the last record.
    case trailingBytes
    /// Presentation-format name or address text that cannot be parsed.
    case invalidText(String)
    /// The serialized message would exceed 65535 bytes.
    case messageTooLarge

    /// A short human-readable explanation.
    public var description: String {
        switch self {
        case .truncated: return "message truncated"
        case .pointerLoop: return "compression pointer loop"
        case .forwardPointer: return "compression pointer does not point backwards"
        case .labelTooLong: return "label longer than 63 octets"
        case .nameTooLong: return "name longer than 255 octets"
        case .invalidLabelType: return "invalid label type"
        case .countOverrun: return "header counts exceed the records in the message"
        case .badRData(let type): return "malformed RDATA for \(DNSRecordType(rawValue: type))"
        case .multipleOPT: return "more than one OPT record"
        case .misplacedOPT: return "OPT record outside the additional section or not owned by the root"
        case .trailingBytes: return "trailing bytes after the last record"
        case .invalidText(let text): return "invalid text: \(text)"
        case .messageTooLarge: return "message larger than 65535 bytes"
        }
    }
}
