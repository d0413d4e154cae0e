/// Builds and takes apart TLS records by hand.
enum Records {
    /// The largest plaintext fragment TLS allows (2^14).
    static let maximumPlaintext = 16_384

    /// One record of `type` carrying `payload` (the length field is the payload's length, truncated to 16 bits).
    static func record(type: UInt8 = 22, version: UInt16 = 0x0301, payload: [UInt8]) -> [UInt8] {
        [type, UInt8(version >> 8), UInt8(version & 0xFF)] + HelloBuilder.u16(payload.count) + payload
    }

    /// `message` cut into handshake records of `fragmentSize` bytes (the last may be shorter).
    static func wrap(_ message: [UInt8], fragmentSize: Int, version: UInt16 = 0x0301) -> [UInt8] {
        var sizes: [Int] = []
        var left = message.count
        while left > 0 {
            sizes.append(min(fragmentSize, left))
            left -= fragmentSize
        }
        return wrap(message, sizes: sizes, version: version)
    }

    /// `message` cut into handshake records of the given sizes (which must add up to its length).
    static func wrap(_ message: [UInt8], sizes: [Int], version: UInt16 = 0x0301) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(message.count + 5 * sizes.count)
        var start = 0
        for size in sizes {
            out += record(version: version, payload: Array(message[start..<(start + size)]))
            start += size
        }
        return out
    }

    /// `message` cut into records of random sizes between 1 and `largest`.
    static func wrapRandomly(_ message: [UInt8], largest: Int, using generator: inout SeededGenerator) -> (bytes: [UInt8], records: Int) {
        var sizes: [Int] = []
        var left = message.count
        while left > 0 {
            let size = min(left, Int.random(in: 1...largest, using: &generator))
            sizes.append(size)
            left -= size
        }
        return (wrap(message, sizes: sizes), sizes.count)
    }

    /// The concatenated payloads of well-formed records (the handshake bytes of a capture).
    static func payloads(of bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var position = 0
        while position + 5 <= bytes.count {
            let length = Int(bytes[position + 3]) << 8 | Int(bytes[position + 4])
            let end = min(bytes.count, position + 5 + length)
            out += bytes[(position + 5)..<end]
            position = end
        }
        return out
    }
}
