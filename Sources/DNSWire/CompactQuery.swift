/// A plain query read without building a ``DNSMessage``: the shape nearly every stub query
/// has (one question, no answer or authority records, at most an OPT record, nothing after).
/// Anything else is `nil`, and the caller takes the full parser's path; so this never accepts
/// what ``DNSMessage/init(parsing:)`` would refuse.
///
/// It exists for the cache-hit path, where parsing and re-encoding a whole message costs more
/// than the lookup itself.
public struct CompactQuery: Sendable {
    public var id: UInt16
    public var recursionDesired: Bool
    public var checkingDisabled: Bool
    /// The question name as sent (letter case kept).
    public var name: DNSName
    /// Where the question name's bytes are in the query (always from offset 12).
    public var nameRange: Range<Int>
    public var type: DNSRecordType
    public var recordClass: DNSClass
    /// The client's EDNS payload size and DO bit, when it sent an OPT record (version 0 only).
    public var edns: (payloadSize: UInt16, dnssecOK: Bool)?

    /// Reads `bytes`, or returns nil when they are anything but a plain standard query.
    public init?(_ bytes: [UInt8]) {
        guard bytes.count >= 17 else { return nil }
        let flags = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
        // QR = 0, opcode = QUERY (0), AA and TC clear; RD and CD may be anything; Z must be 0.
        guard flags & 0xFE40 == 0 else { return nil }
        let questions = UInt16(bytes[4]) << 8 | UInt16(bytes[5])
        let answers = UInt16(bytes[6]) << 8 | UInt16(bytes[7])
        let authorities = UInt16(bytes[8]) << 8 | UInt16(bytes[9])
        let additionals = UInt16(bytes[10]) << 8 | UInt16(bytes[11])
        guard questions == 1, answers == 0, authorities == 0, additionals <= 1 else { return nil }

        // The name: plain labels (a query has nothing to point back to), at most 255 bytes.
        var index = 12
        while true {
            guard index < bytes.count else { return nil }
            let length = Int(bytes[index])
            if length == 0 {
                index += 1
                break
            }
            guard length <= 63, index + 1 + length < bytes.count else { return nil }
            index += 1 + length
            guard index - 12 < 255 else { return nil }
        }
        let nameEnd = index
        guard nameEnd - 12 <= 255, index + 4 <= bytes.count else { return nil }
        let type = UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
        let recordClass = UInt16(bytes[index + 2]) << 8 | UInt16(bytes[index + 3])
        index += 4
        // Types that are not questions about data (OPT, meta-types like AXFR) take the full path.
        guard type != 41, type < 249 || type == 255 else { return nil }

        var edns: (payloadSize: UInt16, dnssecOK: Bool)?
        if additionals == 1 {
            // OPT: root owner, type 41, class = payload size, TTL = ext-rcode, version, flags.
            guard index + 11 <= bytes.count, bytes[index] == 0, bytes[index + 1] == 0, bytes[index + 2] == 41 else { return nil }
            let payload = UInt16(bytes[index + 3]) << 8 | UInt16(bytes[index + 4])
            let version = bytes[index + 6]
            guard version == 0 else { return nil }
            let doBit = bytes[index + 7] & 0x80 != 0
            let length = Int(UInt16(bytes[index + 9]) << 8 | UInt16(bytes[index + 10]))
            index += 11
            guard index + length == bytes.count else { return nil }
            // Options must be well framed (the full parser refuses them otherwise).
            var option = index
            while option < bytes.count {
                guard option + 4 <= bytes.count else { return nil }
                let optionLength = Int(UInt16(bytes[option + 2]) << 8 | UInt16(bytes[option + 3]))
                option += 4 + optionLength
            }
            guard option == bytes.count else { return nil }
            index += length
            edns = (payload, doBit)
        }
        guard index == bytes.count else { return nil }

        self.id = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        self.recursionDesired = flags & 0x0100 != 0
        self.checkingDisabled = flags & 0x0010 != 0
        self.name = DNSName(uncheckedWire: Array(bytes[12..<nameEnd]))
        self.nameRange = 12..<nameEnd
        self.type = DNSRecordType(rawValue: type)
        self.recordClass = DNSClass(rawValue: recordClass)
        self.edns = edns
    }
}
