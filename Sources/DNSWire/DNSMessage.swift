/// A DNS message (RFC 1035 section 4).
///
/// The OPT pseudo-record is lifted out of the additional section into `edns`.
///
/// Equality and hashing ignore the four header count fields: they only record what was read
/// from the wire, and serialization always recomputes them from the section arrays. Everything
/// else (flags, id, sections, EDNS) takes part, with names compared case-insensitively.
public struct DNSMessage: Hashable, Sendable {
    /// The header. Its count fields are informational; see the type documentation.
    public var header: DNSHeader
    /// The question section.
    public var questions: [DNSQuestion]
    /// The answer section.
    public var answers: [DNSResourceRecord]
    /// The authority section.
    public var authorities: [DNSResourceRecord]
    /// The additional section, without the OPT record.
    public var additionals: [DNSResourceRecord]
    /// The OPT record, if present.
    public var edns: EDNSRecord?

    /// Creates a message.
    public init(
        header: DNSHeader,
        questions: [DNSQuestion] = [],
        answers: [DNSResourceRecord] = [],
        authorities: [DNSResourceRecord] = [],
        additionals: [DNSResourceRecord] = [],
        edns: EDNSRecord? = nil
    ) {
        self.header = header
        self.questions = questions
        self.answers = answers
        self.authorities = authorities
        self.additionals = additionals
        self.edns = edns
    }

    /// The full 12-bit response code: the header's 4 low bits plus the OPT's 8 high bits.
    ///
    /// Setting it splits the value; setting a code above 15 on a message without EDNS adds a
    /// default `EDNSRecord` to carry the high bits. Bits above the low 12 are dropped.
    public var responseCode: DNSResponseCode {
        get {
            let high = UInt16(edns?.extendedResponseCodeHigh ?? 0)
            return DNSResponseCode(rawValue: high << 4 | UInt16(header.responseCodeLow & 0x0F))
        }
        set {
            header.responseCodeLow = UInt8(newValue.rawValue & 0x0F)
            let high = UInt8((newValue.rawValue >> 4) & 0xFF)
            if edns != nil {
                edns?.extendedResponseCodeHigh = high
            } else if high != 0 {
                var record = EDNSRecord()
                record.extendedResponseCodeHigh = high
                edns = record
            }
        }
    }

    /// Builds a query: a header with `id` and RD as given, one IN question, and EDNS
    /// with the given payload size (`nil` for no EDNS).
    public static func query(
        id: UInt16,
        name: DNSName,
        type: DNSRecordType,
        recursionDesired: Bool = true,
        ednsPayloadSize: UInt16? = 1232
    ) -> DNSMessage {
        let header = DNSHeader(
            id: id,
            recursionDesired: recursionDesired,
            questionCount: 1,
            additionalCount: ednsPayloadSize == nil ? 0 : 1
        )
        return DNSMessage(
            header: header,
            questions: [DNSQuestion(name: name, type: type)],
            edns: ednsPayloadSize.map { EDNSRecord(udpPayloadSize: $0) }
        )
    }

    /// A response skeleton for `query`: same id, opcode, RD, CD and questions; QR set; EDNS
    /// echoed (payload 1232, DO copied, no options) when the query had EDNS; `responseCode` set.
    public static func response(to query: DNSMessage, responseCode: DNSResponseCode) -> DNSMessage {
        let header = DNSHeader(
            id: query.header.id,
            isResponse: true,
            opcode: query.header.opcode,
            recursionDesired: query.header.recursionDesired,
            checkingDisabled: query.header.checkingDisabled,
            questionCount: UInt16(truncatingIfNeeded: query.questions.count)
        )
        var message = DNSMessage(
            header: header,
            questions: query.questions,
            edns: query.edns.map { EDNSRecord(udpPayloadSize: 1232, dnssecOK: $0.dnssecOK) }
        )
        message.responseCode = responseCode
        return message
    }

    /// Equality ignoring the header count fields.
    public static func == (lhs: DNSMessage, rhs: DNSMessage) -> Bool {
        lhs.header.withoutCounts == rhs.header.withoutCounts
            && lhs.questions == rhs.questions
            && lhs.answers == rhs.answers
            && lhs.authorities == rhs.authorities
            && lhs.additionals == rhs.additionals
            && lhs.edns == rhs.edns
    }

    /// Hash consistent with `==` (header counts excluded).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(header.withoutCounts)
        hasher.combine(questions)
        hasher.combine(answers)
        hasher.combine(authorities)
        hasher.combine(additionals)
        hasher.combine(edns)
    }
}
