extension DNSMessage {
    /// Serializes the message.
    ///
    /// With `compress`, owner names, question names and names inside NS, CNAME, PTR, SOA and MX
    /// RDATA are compressed (RFC 1035 section 4.1.4); SRV targets (RFC 2782) and unknown RDATA
    /// never are. Header counts come from the arrays (plus one for OPT); the extended RCODE high
    /// bits travel in `edns`. The OPT record is written last in the additional section, or just
    /// before a final TSIG/SIG(0) record.
    ///
    /// Throws `.messageTooLarge` beyond 65535 bytes or 65535 entries in a section,
    /// `.badRData` for TXT data that cannot be encoded (no strings, or a string over 255 bytes),
    /// and `.misplacedOPT` for a record of type OPT in a section array (use `edns`).
    public func serialized(compress: Bool = true) throws(DNSWireError) -> [UInt8] {
        var writer = WireWriter(capacity: estimatedSize(), compress: compress)
        try write(into: &writer)
        return writer.bytes
    }

    /// Serializes with an EDNS padding option (RFC 7830) sized so that the total length is a
    /// multiple of `blockSize` (RFC 8467 recommends 128 for queries, 468 for responses).
    ///
    /// Adds a default `EDNSRecord` when `edns` is nil and replaces any existing padding option.
    /// A `blockSize` below 1 is treated as 1 (an empty padding option is still added).
    public func serialized(paddingToMultipleOf blockSize: Int) throws(DNSWireError) -> [UInt8] {
        let block = max(blockSize, 1)
        var message = self
        var record = message.edns ?? EDNSRecord()
        record.options.removeAll { $0.code == EDNSOption.paddingCode }
        message.edns = record
        let unpadded = try message.serialized()
        // The padding option adds 4 bytes of header plus its data, at the very end of the OPT.
        let remainder = (unpadded.count + 4) % block
        let paddingLength = remainder == 0 ? 0 : block - remainder
        guard unpadded.count + 4 + paddingLength <= 65535 else { throw .messageTooLarge }
        record.options.append(.padding(length: paddingLength))
        message.edns = record
        return try message.serialized()
    }

    /// Encodes this response to fit in `maxSize` bytes (values below 512 count as 512, above
    /// 65535 as 65535).
    ///
    /// When the full encoding fits it is returned unchanged. Otherwise the answer, authority and
    /// additional sections are dropped and TC is set, keeping the questions and OPT. A record is
    /// never cut in half. If even that does not fit, the OPT options and then the questions are
    /// dropped as well, so the result never exceeds the limit.
    public func serialized(fittingIn maxSize: Int) throws(DNSWireError) -> [UInt8] {
        let limit = min(max(maxSize, 512), 65535)
        do {
            let full = try serialized()
            if full.count <= limit { return full }
        } catch .messageTooLarge {
            // Fall through to the truncated form.
        }
        var cut = DNSMessage(header: header, questions: questions, edns: edns)
        cut.header.isTruncated = true
        let first = try cut.serialized()
        if first.count <= limit { return first }
        cut.edns?.options = []
        let second = try cut.serialized()
        if second.count <= limit { return second }
        cut.questions = []
        return try cut.serialized()
    }

    /// A capacity estimate (uncompressed size) so the output buffer rarely regrows.
    private func estimatedSize() -> Int {
        var size = DNSHeader.size
        for question in questions {
            size += question.name.wireLength + 4
        }
        for record in answers {
            size += record.name.wireLength + 10 + record.data.estimatedWireLength
        }
        for record in authorities {
            size += record.name.wireLength + 10 + record.data.estimatedWireLength
        }
        for record in additionals {
            size += record.name.wireLength + 10 + record.data.estimatedWireLength
        }
        if let edns {
            size += 11
            for option in edns.options {
                size += 4 + option.data.count
            }
        }
        return min(size, 65535)
    }

    private func write(into writer: inout WireWriter) throws(DNSWireError) {
        let additionalTotal = additionals.count + (edns == nil ? 0 : 1)
        guard questions.count <= 65535, answers.count <= 65535, authorities.count <= 65535,
            additionalTotal <= 65535
        else { throw .messageTooLarge }
        var wireHeader = header
        wireHeader.responseCodeLow &= 0x0F
        wireHeader.questionCount = UInt16(questions.count)
        wireHeader.answerCount = UInt16(answers.count)
        wireHeader.authorityCount = UInt16(authorities.count)
        wireHeader.additionalCount = UInt16(additionalTotal)
        writer.writeHeader(wireHeader)
        for question in questions {
            writer.writeName(question.name, compressible: true)
            writer.writeUInt16(question.type.rawValue)
            writer.writeUInt16(question.questionClass.rawValue)
        }
        for record in answers {
            try DNSMessage.write(record, into: &writer)
        }
        for record in authorities {
            try DNSMessage.write(record, into: &writer)
        }
        // OPT goes last, except that a trailing TSIG or SIG(0) must stay the final record.
        var optIndex = additionals.count
        if edns != nil, let last = additionals.last, last.type == .tsig || last.type == .sig {
            optIndex -= 1
        }
        for (index, record) in additionals.enumerated() {
            if index == optIndex, let edns {
                try DNSMessage.write(edns, into: &writer)
            }
            try DNSMessage.write(record, into: &writer)
        }
        if optIndex == additionals.count, let edns {
            try DNSMessage.write(edns, into: &writer)
        }
        guard writer.count <= 65535 else { throw .messageTooLarge }
    }

    private static func write(_ record: DNSResourceRecord, into writer: inout WireWriter) throws(DNSWireError) {
        let type = record.data.type
        guard type != .opt else { throw .misplacedOPT }
        writer.writeName(record.name, compressible: true)
        writer.writeUInt16(type.rawValue)
        writer.writeUInt16(record.recordClass.rawValue)
        writer.writeUInt32(record.ttl)
        let lengthOffset = writer.count
        writer.writeUInt16(0)
        switch record.data {
        case .a(let address):
            writer.writeUInt32(address.rawValue)
        case .aaaa(let address):
            writer.writeUInt32(UInt32(address.high >> 32))
            writer.writeUInt32(UInt32(address.high & 0xFFFF_FFFF))
            writer.writeUInt32(UInt32(address.low >> 32))
            writer.writeUInt32(UInt32(address.low & 0xFFFF_FFFF))
        case .ns(let name), .cname(let name), .ptr(let name):
            writer.writeName(name, compressible: true)
        case .soa(let soa):
            writer.writeName(soa.primaryServer, compressible: true)
            writer.writeName(soa.responsibleMailbox, compressible: true)
            writer.writeUInt32(soa.serial)
            writer.writeUInt32(soa.refresh)
            writer.writeUInt32(soa.retry)
            writer.writeUInt32(soa.expire)
            writer.writeUInt32(soa.minimum)
        case .mx(let preference, let exchange):
            writer.writeUInt16(preference)
            writer.writeName(exchange, compressible: true)
        case .txt(let strings):
            guard !strings.isEmpty else { throw .badRData(type: type.rawValue) }
            for string in strings {
                guard string.count <= 255 else { throw .badRData(type: type.rawValue) }
                writer.writeUInt8(UInt8(string.count))
                writer.writeBytes(string)
            }
        case .srv(let priority, let weight, let port, let target):
            writer.writeUInt16(priority)
            writer.writeUInt16(weight)
            writer.writeUInt16(port)
            writer.writeName(target, compressible: false)
        case .unknown(_, let bytes):
            writer.writeBytes(bytes)
        }
        try patchLength(&writer, at: lengthOffset)
    }

    private static func write(_ edns: EDNSRecord, into writer: inout WireWriter) throws(DNSWireError) {
        writer.writeUInt8(0)
        writer.writeUInt16(DNSRecordType.opt.rawValue)
        writer.writeUInt16(edns.udpPayloadSize)
        writer.writeUInt32(edns.ttlField)
        let lengthOffset = writer.count
        writer.writeUInt16(0)
        for option in edns.options {
            guard option.data.count <= 65535 else { throw .messageTooLarge }
            writer.writeUInt16(option.code)
            writer.writeUInt16(UInt16(option.data.count))
            writer.writeBytes(option.data)
        }
        try patchLength(&writer, at: lengthOffset)
    }

    private static func patchLength(_ writer: inout WireWriter, at offset: Int) throws(DNSWireError) {
        let length = writer.count - offset - 2
        guard length <= 65535 else { throw .messageTooLarge }
        writer.patchUInt16(UInt16(length), at: offset)
    }
}
