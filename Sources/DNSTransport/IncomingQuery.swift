import DNSWire

/// The first look at bytes a DNS server received, shared by the stub and the server: drop what
/// is not a query at all, answer FORMERR/NOTIMP/BADVERS to what is malformed or unsupported,
/// and hand on the rest.
public enum IncomingQuery: Sendable {
    /// Not even a header, or a response: dropped without an answer (and counted).
    case dropped
    /// The header is readable but the rest is not: answer these FORMERR bytes.
    case unparsable([UInt8])
    /// Parsed, but refused with this reply (NOTIMP for another opcode, FORMERR for other than
    /// exactly one question, BADVERS for EDNS above version 0).
    case refused(query: DNSMessage, reply: DNSMessage)
    /// A standard query with one question.
    case query(DNSMessage)

    public static func classify(_ bytes: [UInt8]) -> IncomingQuery {
        guard let header = try? DNSHeader(parsing: bytes), !header.isResponse else { return .dropped }
        let query: DNSMessage
        do {
            query = try DNSMessage(parsing: bytes)
        } catch {
            return .unparsable(ResponseBuilder.formatError(for: header))
        }
        guard query.header.opcode == .query else {
            return .refused(query: query, reply: ResponseBuilder.error(.notImplemented, to: query))
        }
        guard query.questions.count == 1 else {
            return .refused(query: query, reply: ResponseBuilder.error(.formatError, to: query))
        }
        if let edns = query.edns, edns.version > 0 {
            var reply = ResponseBuilder.error(.badVersion, to: query)
            reply.questions = []
            return .refused(query: query, reply: reply)
        }
        return .query(query)
    }

    /// Whether this is a malformed query (FORMERR), as opposed to an unsupported one.
    public var isFormatError: Bool {
        switch self {
        case .unparsable: return true
        case .refused(_, let reply): return reply.responseCode == .formatError
        case .dropped, .query: return false
        }
    }
}
