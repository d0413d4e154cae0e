/// An IPv6 address.
public struct IPv6Address: Hashable, Sendable, CustomStringConvertible, LosslessStringConvertible {
    /// The first 64 bits (octets 0...7), most significant first.
    public var high: UInt64
    /// The last 64 bits (octets 8...15), most significant first.
    public var low: UInt64

    /// Creates an address from its two 64-bit halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Creates an address from exactly 16 octets; nil otherwise.
    public init?(octets: [UInt8]) {
        guard octets.count == 16 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for index in 0..<8 {
            high = high << 8 | UInt64(octets[index])
            low = low << 8 | UInt64(octets[index + 8])
        }
        self.init(high: high, low: low)
    }

    /// Parses RFC 4291 text: full or `::`-compressed hex groups, with an optional embedded IPv4
    /// dotted quad in the last 32 bits (`"::ffff:192.0.2.1"`). Zone indices are not accepted.
    public init?(_ text: String) {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 2, utf8.count <= 45 else { return nil }
        var groups: [UInt16] = []
        groups.reserveCapacity(8)
        var gapIndex: Int? = nil
        var index = 0
        if utf8[0] == UInt8(ascii: ":") {
            guard utf8[1] == UInt8(ascii: ":") else { return nil }
            gapIndex = 0
            index = 2
        }
        while index < utf8.count {
            // Parse one group (or an embedded IPv4 tail).
            var value: UInt32 = 0
            var digits = 0
            var end = index
            while end < utf8.count, let digit = IPv6Address.hexValue(utf8[end]) {
                value = value << 4 | UInt32(digit)
                digits += 1
                end += 1
                if digits > 4 { break }
            }
            if end < utf8.count && utf8[end] == UInt8(ascii: ".") {
                // Embedded IPv4: must be the last thing and fit in two groups.
                guard groups.count <= 6, let v4 = IPv4Address.parse(utf8[index...]) else { return nil }
                groups.append(UInt16(v4 >> 16))
                groups.append(UInt16(v4 & 0xFFFF))
                index = utf8.count
                break
            }
            guard digits >= 1, digits <= 4 else { return nil }
            groups.append(UInt16(value))
            guard groups.count <= 8 else { return nil }
            index = end
            if index == utf8.count { break }
            guard utf8[index] == UInt8(ascii: ":") else { return nil }
            index += 1
            if index < utf8.count && utf8[index] == UInt8(ascii: ":") {
                guard gapIndex == nil else { return nil }
                gapIndex = groups.count
                index += 1
                if index == utf8.count { break }
            } else if index == utf8.count {
                return nil  // trailing single colon
            }
        }
        var full = [UInt16](repeating: 0, count: 8)
        if let gap = gapIndex {
            guard groups.count <= 7 else { return nil }
            for k in 0..<gap { full[k] = groups[k] }
            let tail = groups.count - gap
            for k in 0..<tail { full[8 - tail + k] = groups[gap + k] }
        } else {
            guard groups.count == 8 else { return nil }
            full = groups
        }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for k in 0..<4 {
            high = high << 16 | UInt64(full[k])
            low = low << 16 | UInt64(full[k + 4])
        }
        self.init(high: high, low: low)
    }

    /// The 16 octets, most significant first.
    public var octets: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(16)
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((high >> UInt64(shift)) & 0xFF)) }
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((low >> UInt64(shift)) & 0xFF)) }
        return out
    }

    /// The eight 16-bit groups.
    private var groups: [UInt16] {
        var out: [UInt16] = []
        out.reserveCapacity(8)
        for shift in stride(from: 48, through: 0, by: -16) { out.append(UInt16((high >> UInt64(shift)) & 0xFFFF)) }
        for shift in stride(from: 48, through: 0, by: -16) { out.append(UInt16((low >> UInt64(shift)) & 0xFFFF)) }
        return out
    }

    /// RFC 5952 canonical text: lower-case hex without leading zeros, the longest run (leftmost on
    /// ties) of two or more zero groups shortened to `::`, and IPv4-mapped addresses as
    /// `::ffff:192.0.2.1`.
    public var description: String {
        if high == 0 && low >> 32 == 0xFFFF {
            let v4 = IPv4Address(rawValue: UInt32(low & 0xFFFF_FFFF))
            return "::ffff:\(v4)"
        }
        let groups = self.groups
        var bestStart = -1
        var bestLength = 0
        var runStart = -1
        for k in 0...8 {
            if k < 8 && groups[k] == 0 {
                if runStart < 0 { runStart = k }
            } else if runStart >= 0 {
                let length = k - runStart
                if length > bestLength {
                    bestStart = runStart
                    bestLength = length
                }
                runStart = -1
            }
        }
        if bestLength < 2 { bestStart = -1 }
        var text = ""
        var k = 0
        while k < 8 {
            if k == bestStart {
                text += "::"
                k += bestLength
                continue
            }
            if !text.isEmpty && !text.hasSuffix(":") { text += ":" }
            text += String(groups[k], radix: 16)
            k += 1
        }
        return text
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 48...57: return byte - 48
        case 97...102: return byte - 87
        case 65...70: return byte - 55
        default: return nil
        }
    }
}
