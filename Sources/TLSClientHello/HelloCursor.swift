/// A bounds-checked cursor over part of a reassembled ClientHello, reading big-endian fields.
///
/// Every read checks its bounds first and throws ``ClientHelloError/malformed(_:)`` when the field
/// does not fit, so arbitrary input never traps. A vector read returns a cursor limited to the
/// vector's contents, which keeps nested length checks honest.
internal struct HelloCursor {
    /// The whole reassembled handshake message.
    let bytes: [UInt8]
    /// The next byte to read.
    private(set) var position: Int
    /// One past the last byte this cursor may read (never beyond `bytes.count`).
    let end: Int

    /// A cursor over `bytes[start..<end]`, clamped to the array.
    init(bytes: [UInt8], start: Int, end: Int) {
        let upper = min(max(end, 0), bytes.count)
        self.bytes = bytes
        self.position = min(max(start, 0), upper)
        self.end = upper
    }

    /// Bytes left to read.
    var remaining: Int { end - position }

    /// Whether every byte has been read.
    var isAtEnd: Bool { position >= end }

    /// The bytes left to read, without consuming them.
    var rest: ArraySlice<UInt8> { bytes[position..<end] }

    /// Reads one byte.
    mutating func readUInt8(_ what: @autoclosure () -> String) throws(ClientHelloError) -> UInt8 {
        guard remaining >= 1 else { throw .malformed("truncated \(what())") }
        let value = bytes[position]
        position += 1
        return value
    }

    /// Reads a big-endian 16-bit value.
    mutating func readUInt16(_ what: @autoclosure () -> String) throws(ClientHelloError) -> UInt16 {
        guard remaining >= 2 else { throw .malformed("truncated \(what())") }
        let value = UInt16(bytes[position]) << 8 | UInt16(bytes[position + 1])
        position += 2
        return value
    }

    /// Skips `count` bytes.
    mutating func skip(_ count: Int, _ what: @autoclosure () -> String) throws(ClientHelloError) {
        guard count >= 0, count <= remaining else { throw .malformed("truncated \(what())") }
        position += count
    }

    /// Reads a vector with a `lengthBytes`-byte (1 or 2) length prefix; returns a cursor over its contents.
    mutating func readVector(
        lengthBytes: Int, _ what: @autoclosure () -> String
    ) throws(ClientHelloError) -> HelloCursor {
        let length: Int
        if lengthBytes == 1 {
            length = Int(try readUInt8("length of \(what())"))
        } else {
            length = Int(try readUInt16("length of \(what())"))
        }
        guard length <= remaining else {
            throw .malformed("\(what()) declares \(length) bytes but only \(remaining) follow")
        }
        let vector = HelloCursor(bytes: bytes, start: position, end: position + length)
        position += length
        return vector
    }
}
