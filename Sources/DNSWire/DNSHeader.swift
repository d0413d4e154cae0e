/// The fixed 12-byte DNS message header (RFC 1035 section 4.1.1).
public struct DNSHeader: Hashable, Sendable {
    /// Transaction ID.
    public var id: UInt16
    /// QR: true for responses.
    public var isResponse: Bool
    /// OPCODE.
    public var opcode: DNSOpcode
    /// AA: authoritative answer.
    public var isAuthoritative: Bool
    /// TC: the message was truncated.
    public var isTruncated: Bool
    /// RD: recursion desired.
    public var recursionDesired: Bool
    /// RA: recursion available.
    public var recursionAvailable: Bool
    /// AD: authentic data (RFC 4035).
    public var authenticData: Bool
    /// CD: checking disabled (RFC 4035).
    public var checkingDisabled: Bool
    /// The 4 RCODE bits of the header; see `DNSMessage.responseCode` for the full 12-bit value.
    public var responseCodeLow: UInt8
    /// QDCOUNT as read from the wire (recomputed on serialization).
    public var questionCount: UInt16
    /// ANCOUNT as read from the wire (recomputed on serialization).
    public var answerCount: UInt16
    /// NSCOUNT as read from the wire (recomputed on serialization).
    public var authorityCount: UInt16
    /// ARCOUNT as read from the wire, including any OPT record (recomputed on serialization).
    public var additionalCount: UInt16

    /// The header size in bytes.
    public static let size = 12

    /// Creates a header; everything defaults to zero / false and opcode QUERY.
    public init(
        id: UInt16 = 0,
        isResponse: Bool = false,
        opcode: DNSOpcode = .query,
        isAuthoritative: Bool = false,
        isTruncated: Bool = false,
        recursionDesired: Bool = false,
        recursionAvailable: Bool = false,
        authenticData: Bool = false,
        checkingDisabled: Bool = false,
        responseCodeLow: UInt8 = 0,
        questionCount: UInt16 = 0,
        answerCount: UInt16 = 0,
        authorityCount: UInt16 = 0,
        additionalCount: UInt16 = 0
    ) {
        self.id = id
        self.isResponse = isResponse
        self.opcode = opcode
        self.isAuthoritative = isAuthoritative
        self.isTruncated = isTruncated
        self.recursionDesired = recursionDesired
        self.recursionAvailable = recursionAvailable
        self.authenticData = authenticData
        self.checkingDisabled = checkingDisabled
        self.responseCodeLow = responseCodeLow
        self.questionCount = questionCount
        self.answerCount = answerCount
        self.authorityCount = authorityCount
        self.additionalCount = additionalCount
    }

    /// Reads the first 12 bytes of `bytes` (anything after is ignored); `.truncated` if fewer.
    ///
    /// The reserved Z bit is ignored.
    public init(parsing bytes: [UInt8]) throws(DNSWireError) {
        guard bytes.count >= DNSHeader.size else { throw .truncated }
        self.init(unchecked: bytes)
    }

    /// Reads a header from a buffer known to hold at least 12 bytes.
    internal init(unchecked bytes: [UInt8]) {
        let flags = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
        self.init(
            id: UInt16(bytes[0]) << 8 | UInt16(bytes[1]),
            isResponse: flags & 0x8000 != 0,
            opcode: DNSOpcode(rawValue: UInt8((flags >> 11) & 0x0F)),
            isAuthoritative: flags & 0x0400 != 0,
            isTruncated: flags & 0x0200 != 0,
            recursionDesired: flags & 0x0100 != 0,
            recursionAvailable: flags & 0x0080 != 0,
            authenticData: flags & 0x0020 != 0,
            checkingDisabled: flags & 0x0010 != 0,
            responseCodeLow: UInt8(flags & 0x000F),
            questionCount: UInt16(bytes[4]) << 8 | UInt16(bytes[5]),
            answerCount: UInt16(bytes[6]) << 8 | UInt16(bytes[7]),
            authorityCount: UInt16(bytes[8]) << 8 | UInt16(bytes[9]),
            additionalCount: UInt16(bytes[10]) << 8 | UInt16(bytes[11])
        )
    }

    /// The 16-bit flags word (QR, OPCODE, AA, TC, RD, RA, AD, CD, RCODE); Z is always zero.
    public var flags: UInt16 {
        var value = UInt16(opcode.rawValue & 0x0F) << 11 | UInt16(responseCodeLow & 0x0F)
        if isResponse { value |= 0x8000 }
        if isAuthoritative { value |= 0x0400 }
        if isTruncated { value |= 0x0200 }
        if recursionDesired { value |= 0x0100 }
        if recursionAvailable { value |= 0x0080 }
        if authenticData { value |= 0x0020 }
        if checkingDisabled { value |= 0x0010 }
        return value
    }

    /// The 12 wire bytes of this header, using the count fields as they are.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(DNSHeader.size)
        write(into: &out)
        return out
    }

    internal func write(into out: inout [UInt8]) {
        let flags = self.flags
        out.append(UInt8(id >> 8))
        out.append(UInt8(id & 0xFF))
        out.append(UInt8(flags >> 8))
        out.append(UInt8(flags & 0xFF))
        out.append(UInt8(questionCount >> 8))
        out.append(UInt8(questionCount & 0xFF))
        out.append(UInt8(answerCount >> 8))
        out.append(UInt8(answerCount & 0xFF))
        out.append(UInt8(authorityCount >> 8))
        out.append(UInt8(authorityCount & 0xFF))
        out.append(UInt8(additionalCount >> 8))
        out.append(UInt8(additionalCount & 0xFF))
    }

    /// Reads the transaction ID from the first two bytes without parsing; nil when fewer than 2.
    public static func peekID(in bytes: [UInt8]) -> UInt16? {
        guard bytes.count >= 2 else { return nil }
        return UInt16(bytes[0]) << 8 | UInt16(bytes[1])
    }

    /// Overwrites the transaction ID in a serialized message in place (no-op when fewer than 2 bytes).
    public static func rewriteID(_ id: UInt16, in bytes: inout [UInt8]) {
        guard bytes.count >= 2 else { return }
        bytes[0] = UInt8(id >> 8)
        bytes[1] = UInt8(id & 0xFF)
    }

    /// A copy with all four count fields zeroed (used by `DNSMessage` equality).
    internal var withoutCounts: DNSHeader {
        var copy = self
        copy.questionCount = 0
        copy.answerCount = 0
        copy.authorityCount = 0
        copy.additionalCount = 0
        return copy
    }
}
