extension DNSMessage {
    /// Which section a record is read from (OPT is only legal in the additional section).
    private enum Section {
        case answer, authority, additional
    }

    /// Parses a complete message.
    ///
    /// Rejects truncation, pointer loops and forward pointers, over-long names, reserved label
    /// types, counts the message cannot hold, RDATA that does not consume exactly RDLENGTH,
    /// duplicate or misplaced OPT records, and trailing bytes. Known types carrying names
    /// (NS, CNAME, PTR, SOA, MX, SRV) are decompressed; other types are kept raw.
    public init(parsing bytes: [UInt8]) throws(DNSWireError) {
        guard bytes.count >= DNSHeader.size else { throw .truncated }
        let header = DNSHeader(unchecked: bytes)
        let questionCount = Int(header.questionCount)
        let recordCount = Int(header.answerCount) + Int(header.authorityCount) + Int(header.additionalCount)
        // Every question needs at least 5 bytes and every record at least 11.
        if questionCount * 5 + recordCount * 11 > bytes.count - DNSHeader.size {
            throw .countOverrun
        }
        var reader = WireReader(bytes: bytes, position: DNSHeader.size)
        var questions: [DNSQuestion] = []
        questions.reserveCapacity(questionCount)
        for _ in 0..<questionCount {
            guard reader.remaining > 0 else { throw .countOverrun }
            let name = try reader.readName()
            let type = try reader.readUInt16()
            let questionClass = try reader.readUInt16()
            questions.append(
                DNSQuestion(name: name, type: DNSRecordType(rawValue: type), questionClass: DNSClass(rawValue: questionClass))
            )
        }
        var edns: EDNSRecord? = nil
        let answers = try DNSMessage.readRecords(&reader, count: Int(header.answerCount), section: .answer, edns: &edns)
        let authorities = try DNSMessage.readRecords(
            &reader, count: Int(header.authorityCount), section: .authority, edns: &edns)
        let additionals = try DNSMessage.readRecords(
            &reader, count: Int(header.additionalCount), section: .additional, edns: &edns)
        guard reader.remaining == 0 else { throw .trailingBytes }
        self.init(
            header: header,
            questions: questions,
            answers: answers,
            authorities: authorities,
            additionals: additionals,
            edns: edns
        )
    }

    private static func readRecords(
        _ reader: inout WireReader,
        count: Int,
        section: Section,
        edns: inout EDNSRecord?
    ) throws(DNSWireError) -> [DNSResourceRecord] {
        var records: [DNSResourceRecord] = []
        guard count > 0 else { return records }
        records.reserveCapacity(count)
        for _ in 0..<count {
            guard reader.remaining > 0 else { throw .countOverrun }
            let name = try reader.readName()
            let type = try reader.readUInt16()
            let recordClass = try reader.readUInt16()
            let ttl = try reader.readUInt32()
            let length = Int(try reader.readUInt16())
            guard length <= reader.remaining else { throw .truncated }
            let end = reader.position + length
            if type == DNSRecordType.opt.rawValue {
                guard section == .additional, name.isRoot else { throw .misplacedOPT }
                guard edns == nil else { throw .multipleOPT }
                edns = try readOPT(&reader, payloadSize: recordClass, ttl: ttl, end: end)
                continue
            }
            let data = try readRData(
                &reader, type: DNSRecordType(rawValue: type), recordClass: DNSClass(rawValue: recordClass), end: end)
            records.append(DNSResourceRecord(name: name, recordClass: DNSClass(rawValue: recordClass), ttl: ttl, data: data))
        }
        return records
    }

    private static func readOPT(
        _ reader: inout WireReader,
        payloadSize: UInt16,
        ttl: UInt32,
        end: Int
    ) throws(DNSWireError) -> EDNSRecord {
        var record = EDNSRecord(udpPayloadSize: payloadSize)
        record.extendedResponseCodeHigh = UInt8(ttl >> 24)
        record.version = UInt8((ttl >> 16) & 0xFF)
        record.dnssecOK = ttl & 0x8000 != 0
        record.flagsRemainder = UInt16(ttl & 0x7FFF)
        while reader.position < end {
            guard end - reader.position >= 4 else { throw .badRData(type: DNSRecordType.opt.rawValue) }
            let code = try reader.readUInt16()
            let length = Int(try reader.readUInt16())
            guard length <= end - reader.position else { throw .badRData(type: DNSRecordType.opt.rawValue) }
            record.options.append(EDNSOption(code: code, data: try reader.readBytes(length)))
        }
        return record
    }

    /// Decodes RDATA spanning `reader.position..<end`.
    ///
    /// Known types must decode exactly, with two exceptions outside class IN, where the data is
    /// kept as `.unknown`: empty RDATA (dynamic update deletions use class ANY/NONE), and A/AAAA
    /// data of another length (those formats are defined for class IN only). Name-bearing types
    /// are class-independent and always strict, so a raw fallback never hides a compression
    /// pointer that could change meaning when the record moves.
    private static func readRData(
        _ reader: inout WireReader,
        type: DNSRecordType,
        recordClass: DNSClass,
        end: Int
    ) throws(DNSWireError) -> DNSRecordData {
        let start = reader.position
        let length = end - start
        switch type {
        case .a, .aaaa:
            if recordClass != .internet && length != (type == .a ? 4 : 16) {
                break
            }
            return try readKnownRData(&reader, type: type, end: end)
        case .ns, .cname, .ptr, .soa, .mx, .txt, .srv:
            if recordClass != .internet && length == 0 {
                break
            }
            let data = try readKnownRData(&reader, type: type, end: end)
            guard reader.position == end else { throw .badRData(type: type.rawValue) }
            return data
        default:
            break
        }
        return .unknown(type: type, bytes: try reader.readBytes(length))
    }

    private static func readKnownRData(
        _ reader: inout WireReader,
        type: DNSRecordType,
        end: Int
    ) throws(DNSWireError) -> DNSRecordData {
        let bad = DNSWireError.badRData(type: type.rawValue)
        let length = end - reader.position
        switch type {
        case .a:
            guard length == 4 else { throw bad }
            return .a(IPv4Address(rawValue: try reader.readUInt32()))
        case .aaaa:
            guard length == 16 else { throw bad }
            let high = UInt64(try reader.readUInt32()) << 32 | UInt64(try reader.readUInt32())
            let low = UInt64(try reader.readUInt32()) << 32 | UInt64(try reader.readUInt32())
            return .aaaa(IPv6Address(high: high, low: low))
        case .ns:
            return .ns(try readRDataName(&reader, end: end, bad: bad))
        case .cname:
            return .cname(try readRDataName(&reader, end: end, bad: bad))
        case .ptr:
            return .ptr(try readRDataName(&reader, end: end, bad: bad))
        case .soa:
            let primary = try readRDataName(&reader, end: end, bad: bad)
            let mailbox = try readRDataName(&reader, end: end, bad: bad)
            guard end - reader.position == 20 else { throw bad }
            return .soa(
                DNSStartOfAuthority(
                    primaryServer: primary,
                    responsibleMailbox: mailbox,
                    serial: try reader.readUInt32(),
                    refresh: try reader.readUInt32(),
                    retry: try reader.readUInt32(),
                    expire: try reader.readUInt32(),
                    minimum: try reader.readUInt32()
                ))
        case .mx:
            guard length >= 3 else { throw bad }
            let preference = try reader.readUInt16()
            return .mx(preference: preference, exchange: try readRDataName(&reader, end: end, bad: bad))
        case .txt:
            guard length >= 1 else { throw bad }
            var strings: [[UInt8]] = []
            while reader.position < end {
                let stringLength = Int(try reader.readUInt8())
                guard stringLength <= end - reader.position else { throw bad }
                strings.append(try reader.readBytes(stringLength))
            }
            return .txt(strings)
        case .srv:
            guard length >= 7 else { throw bad }
            let priority = try reader.readUInt16()
            let weight = try reader.readUInt16()
            let port = try reader.readUInt16()
            return .srv(priority: priority, weight: weight, port: port, target: try readRDataName(&reader, end: end, bad: bad))
        default:
            throw bad
        }
    }

    /// Reads a name inside RDATA and checks that its uncompressed part stays within the RDATA.
    private static func readRDataName(
        _ reader: inout WireReader,
        end: Int,
        bad: DNSWireError
    ) throws(DNSWireError) -> DNSName {
        guard reader.position < end else { throw bad }
        let name = try reader.readName()
        guard reader.position <= end else { throw bad }
        return name
    }
}
