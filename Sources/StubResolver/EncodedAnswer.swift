import DNSTransport
import DNSWire

/// A cached answer already encoded as the reply to a plain query without EDNS (ID 0, question
/// as first asked), with the offset and stored value of every TTL. A cache hit copies it and
/// patches ID, RD/CD, the question's letter case and the TTLs, and appends an OPT record when
/// the client sent one: no parsing and no encoding.
///
/// It is also the only copy the cache keeps (one allocation for the message, one for the
/// offsets): the full path decodes it again when it needs a message (stale answers, truncation).
struct EncodedAnswer: Sendable {
    /// The reply; the TTL fields hold the TTLs as stored.
    var bytes: [UInt8]
    var ttlOffsets: [UInt16]
    /// The question name's length in `bytes` (from offset 12).
    var nameLength: Int

    /// Encodes `response` for `key`; nil when it cannot be done (then hits take the full path).
    init?(response: DNSMessage, key: DNSCacheKey) {
        var query = DNSMessage.query(id: 0, name: key.name, type: key.type, recursionDesired: false)
        query.questions[0].questionClass = key.recordClass
        query.edns = nil
        var reply = ResponseBuilder.reply(to: query, with: response)
        reply.header.id = 0
        guard let bytes = try? reply.serialized(), bytes.count <= 65_535, let offsets = DNSWireLayout.ttlOffsets(in: bytes) else { return nil }
        self.bytes = bytes
        self.ttlOffsets = offsets.map { UInt16(truncatingIfNeeded: $0) }
        self.nameLength = key.name.wireLength
    }

    /// The reply to `query`, with every TTL lowered by `spent` seconds; nil when it would not
    /// fit in `limit` bytes (the caller then truncates the slow way).
    func reply(to query: CompactQuery, in queryBytes: [UInt8], spent: UInt32, limit: Int) -> [UInt8]? {
        let optLength = query.edns == nil ? 0 : 11
        guard self.bytes.count + optLength <= limit, query.nameRange.count == self.nameLength else { return nil }
        var out = self.bytes
        out.reserveCapacity(out.count + optLength)
        out.withUnsafeMutableBufferPointer { buffer in
            buffer[0] = UInt8(truncatingIfNeeded: query.id >> 8)
            buffer[1] = UInt8(truncatingIfNeeded: query.id)
            buffer[2] = (buffer[2] & ~0x01) | (query.recursionDesired ? 0x01 : 0)
            buffer[3] = (buffer[3] & ~0x10) | (query.checkingDisabled ? 0x10 : 0)
            var target = 12
            for index in query.nameRange {
                buffer[target] = queryBytes[index]
                target += 1
            }
            for wideOffset in self.ttlOffsets {
                let offset = Int(wideOffset)
                let stored = UInt32(buffer[offset]) << 24 | UInt32(buffer[offset + 1]) << 16 | UInt32(buffer[offset + 2]) << 8 | UInt32(buffer[offset + 3])
                let ttl = stored > spent ? stored - spent : 0
                buffer[offset] = UInt8(truncatingIfNeeded: ttl >> 24)
                buffer[offset + 1] = UInt8(truncatingIfNeeded: ttl >> 16)
                buffer[offset + 2] = UInt8(truncatingIfNeeded: ttl >> 8)
                buffer[offset + 3] = UInt8(truncatingIfNeeded: ttl)
            }
        }
        if let edns = query.edns {
            let additional = (UInt16(out[10]) << 8 | UInt16(out[11])) &+ 1
            out[10] = UInt8(truncatingIfNeeded: additional >> 8)
            out[11] = UInt8(truncatingIfNeeded: additional)
            let payload = ResponseBuilder.advertisedPayloadSize
            out += [0, 0, 41, UInt8(payload >> 8), UInt8(payload & 0xFF), 0, 0, edns.dnssecOK ? 0x80 : 0, 0, 0, 0]
        }
        return out
    }

    /// The stored reply as a message (TTLs as stored), for the full path.
    var message: DNSMessage? { try? DNSMessage(parsing: self.bytes) }
}
