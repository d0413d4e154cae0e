import DNSWire

/// Turns an upstream or cached answer into the reply for one client's query.
public enum ResponseBuilder {
    /// The payload size the stub advertises in its own OPT records.
    public static let advertisedPayloadSize: UInt16 = 1232

    /// The largest answer a client can take on `transport`: for UDP the client's EDNS payload size
    /// (at least 512, at most `maximumUDPPayload`), 512 without EDNS; for TCP 65,535.
    public static func sizeLimit(for query: DNSMessage, transport: DNSTransportKind, maximumUDPPayload: Int) -> Int {
        switch transport {
        case .tcp:
            return 65_535
        case .udp:
            guard let edns = query.edns else { return 512 }
            return min(max(512, Int(edns.udpPayloadSize)), max(512, maximumUDPPayload))
        }
    }

    /// `answer` readdressed to the client: the client's ID, flags and question (with its own
    /// letter case), our OPT record when the client sent one (padding and other hop-by-hop
    /// options removed), none otherwise.
    public static func reply(to query: DNSMessage, with answer: DNSMessage) -> DNSMessage {
        var reply = answer
        let responseCode = answer.responseCode
        reply.header.id = query.header.id
        reply.header.isResponse = true
        reply.header.opcode = query.header.opcode
        reply.header.recursionDesired = query.header.recursionDesired
        reply.header.checkingDisabled = query.header.checkingDisabled
        reply.header.recursionAvailable = true
        reply.header.isTruncated = false
        reply.questions = query.questions
        if let clientEDNS = query.edns {
            reply.edns = EDNSRecord(udpPayloadSize: self.advertisedPayloadSize, dnssecOK: clientEDNS.dnssecOK, options: [])
        } else {
            reply.edns = nil
        }
        reply.responseCode = responseCode
        return reply
    }

    /// An answer with no records and the given code, for errors the stub decides itself.
    public static func error(_ code: DNSResponseCode, to query: DNSMessage) -> DNSMessage {
        var reply = DNSMessage.response(to: query, responseCode: code)
        reply.header.recursionAvailable = true
        if query.edns != nil {
            reply.edns = EDNSRecord(udpPayloadSize: self.advertisedPayloadSize, dnssecOK: query.edns?.dnssecOK ?? false, options: [])
        }
        reply.responseCode = code
        return reply
    }

    /// FORMERR for a query whose header could be read but not the rest: same ID, opcode and RD,
    /// no question (it could not be parsed).
    public static func formatError(for header: DNSHeader) -> [UInt8] {
        var replyHeader = DNSHeader(id: header.id)
        replyHeader.isResponse = true
        replyHeader.opcode = header.opcode
        replyHeader.recursionDesired = header.recursionDesired
        replyHeader.recursionAvailable = true
        replyHeader.responseCodeLow = UInt8(truncatingIfNeeded: DNSResponseCode.formatError.rawValue)
        let message = DNSMessage(header: replyHeader)
        return (try? message.serialized()) ?? []
    }
}
