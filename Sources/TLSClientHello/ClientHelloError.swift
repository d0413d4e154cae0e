/// Why the first bytes of a connection are not a usable TLS ClientHello.
public enum ClientHelloError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The first record is not a handshake record (content type 22), e.g. plain HTTP.
    case notHandshake(contentType: UInt8)
    /// A record's major version is not 3; an SSL 2.0 framed CLIENT-HELLO is reported as 0x0002.
    case unsupportedRecordVersion(UInt16)
    /// The first handshake message is not a ClientHello (type 1).
    case notClientHello(handshakeType: UInt8)
    /// The declared ClientHello handshake message (body + 4-byte header) is this many bytes, above the limit.
    case tooLarge(Int)
    /// Any structural problem, described for logs: lengths that disagree, truncated vectors, bad
    /// extension framing, duplicate extensions, an invalid SNI host name, zero-length or oversized
    /// records, a non-handshake record before the hello is complete, bytes after the hello in its
    /// last record.
    case malformed(String)

    /// A short description for logs.
    public var description: String {
        switch self {
        case .notHandshake(let contentType):
            return "not a TLS handshake record (content type \(contentType))"
        case .unsupportedRecordVersion(let version):
            return "unsupported TLS record version \(Self.hex(version))"
        case .notClientHello(let handshakeType):
            return "first handshake message is type \(handshakeType), not ClientHello (1)"
        case .tooLarge(let length):
            return "ClientHello of \(length) bytes exceeds the limit"
        case .malformed(let reason):
            return "malformed ClientHello: \(reason)"
        }
    }

    /// `0x` and four lowercase hex digits.
    private static func hex(_ value: UInt16) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
