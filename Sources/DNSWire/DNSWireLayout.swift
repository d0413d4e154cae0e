/// Where things are inside an encoded message, for callers that patch bytes instead of
/// re-encoding (the stub's cache answers from stored bytes with only the ID, flags, question
/// case and TTLs changed).
public enum DNSWireLayout {
    /// The offsets of the 32-bit TTL field of every answer, authority and additional record
    /// (OPT records excluded: their TTL field is not a TTL), or nil when `message` does not
    /// walk cleanly.
    public static func ttlOffsets(in message: [UInt8]) -> [Int]? {
        guard message.count >= DNSHeader.size else { return nil }
        func count(_ at: Int) -> Int { Int(UInt16(message[at]) << 8 | UInt16(message[at + 1])) }
        let questions = count(4)
        let records = count(6) + count(8) + count(10)
        var index = DNSHeader.size
        for _ in 0..<questions {
            guard let next = self.skipName(message, at: index), next + 4 <= message.count else { return nil }
            index = next + 4
        }
        var offsets: [Int] = []
        offsets.reserveCapacity(records)
        for _ in 0..<records {
            guard let next = self.skipName(message, at: index), next + 10 <= message.count else { return nil }
            let type = UInt16(message[next]) << 8 | UInt16(message[next + 1])
            let length = Int(UInt16(message[next + 8]) << 8 | UInt16(message[next + 9]))
            if type != DNSRecordType.opt.rawValue { offsets.append(next + 4) }
            index = next + 10 + length
            guard index <= message.count else { return nil }
        }
        return index == message.count ? offsets : nil
    }

    /// The offset just past the name at `offset` (labels ending in the root label, or in a
    /// compression pointer), or nil when it runs off the end.
    static func skipName(_ message: [UInt8], at offset: Int) -> Int? {
        var index = offset
        while index < message.count {
            let length = message[index]
            if length == 0 { return index + 1 }
            if length & 0xC0 == 0xC0 { return index + 2 <= message.count ? index + 2 : nil }
            guard length & 0xC0 == 0 else { return nil }
            index += 1 + Int(length)
        }
        return nil
    }
}
