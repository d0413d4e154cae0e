/// A bounds-checked cursor over a DNS message, with name decompression.
///
/// Every read checks its bounds first, so arbitrary input never traps.
internal struct WireReader {
    /// The whole message (compression pointers are offsets into it).
    let bytes: [UInt8]
    /// The next byte to read.
    var position: Int

    init(bytes: [UInt8], position: Int) {
        self.bytes = bytes
        self.position = position
    }

    /// Bytes left after `position`.
    @inline(__always)
    var remaining: Int { bytes.count - position }

    @inline(__always)
    mutating func readUInt8() throws(DNSWireError) -> UInt8 {
        guard position < bytes.count else { throw .truncated }
        let value = bytes[position]
        position += 1
        return value
    }

    @inline(__always)
    mutating func readUInt16() throws(DNSWireError) -> UInt16 {
        guard position + 2 <= bytes.count else { throw .truncated }
        let value = UInt16(bytes[position]) << 8 | UInt16(bytes[position + 1])
        position += 2
        return value
    }

    @inline(__always)
    mutating func readUInt32() throws(DNSWireError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw .truncated }
        let value = UInt32(bytes[position]) << 24 | UInt32(bytes[position + 1]) << 16
            | UInt32(bytes[position + 2]) << 8 | UInt32(bytes[position + 3])
        position += 4
        return value
    }

    mutating func readBytes(_ count: Int) throws(DNSWireError) -> [UInt8] {
        guard count >= 0, count <= remaining else { throw .truncated }
        let value = Array(bytes[position..<(position + count)])
        position += count
        return value
    }

    /// Reads a possibly compressed name.
    ///
    /// Rules: a pointer must point strictly before its own offset (`.forwardPointer`), and
    /// successive pointer targets within one name must strictly decrease (`.pointerLoop`); together
    /// with the 255-octet limit this bounds the work for any input.
    mutating func readName() throws(DNSWireError) -> DNSName {
        var out: [UInt8] = []
        out.reserveCapacity(48)
        var cursor = position
        var resume = -1
        var lastTarget = Int.max
        let count = bytes.count
        while true {
            guard cursor < count else { throw .truncated }
            let length = bytes[cursor]
            switch length & 0xC0 {
            case 0x00:
                if length == 0 {
                    out.append(0)
                    if resume < 0 { resume = cursor + 1 }
                    position = resume
                    return DNSName(uncheckedWire: out)
                }
                let labelEnd = cursor + 1 + Int(length)
                guard labelEnd <= count else { throw .truncated }
                // The label plus the root byte still to come must fit in 255 octets.
                guard out.count + 1 + Int(length) + 1 <= 255 else { throw .nameTooLong }
                out.append(contentsOf: bytes[cursor..<labelEnd])
                cursor = labelEnd
            case 0xC0:
                guard cursor + 1 < count else { throw .truncated }
                let target = Int(length & 0x3F) << 8 | Int(bytes[cursor + 1])
                guard target < cursor else { throw .forwardPointer }
                guard target < lastTarget else { throw .pointerLoop }
                lastTarget = target
                if resume < 0 { resume = cursor + 2 }
                cursor = target
            default:
                throw .invalidLabelType
            }
        }
    }
}
