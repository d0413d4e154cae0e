/// An IPv4 address.
public struct IPv4Address: Hashable, Sendable, CustomStringConvertible, LosslessStringConvertible {
    /// The address as a 32-bit number (first octet in the most significant byte).
    public var rawValue: UInt32

    /// Creates `a.b.c.d`.
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        rawValue = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Creates an address from its 32-bit value (first octet most significant).
    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// Creates an address from exactly 4 octets; nil otherwise.
    public init?(octets: [UInt8]) {
        guard octets.count == 4 else { return nil }
        self.init(octets[0], octets[1], octets[2], octets[3])
    }

    /// Parses strict dotted-quad text (`"192.0.2.1"`): four decimal parts 0...255, no leading zeros.
    public init?(_ text: String) {
        guard let value = IPv4Address.parse(Array(text.utf8)[...]) else { return nil }
        rawValue = value
    }

    /// Parses dotted-quad bytes; shared with the IPv6 parser for embedded IPv4.
    internal static func parse(_ utf8: ArraySlice<UInt8>) -> UInt32? {
        var value: UInt32 = 0
        var part: UInt32 = 0
        var digits = 0
        var parts = 0
        var leadingZero = false
        for byte in utf8 {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, parts < 3 else { return nil }
                value = value << 8 | part
                parts += 1
                part = 0
                digits = 0
                leadingZero = false
            } else if byte >= 48 && byte <= 57 {
                if leadingZero { return nil }
                if digits == 0 && byte == 48 { leadingZero = true }
                part = part * 10 + UInt32(byte - 48)
                digits += 1
                guard digits <= 3, part <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard digits > 0, parts == 3 else { return nil }
        return value << 8 | part
    }

    /// The four octets, first octet first.
    public var octets: [UInt8] {
        [UInt8(rawValue >> 24), UInt8((rawValue >> 16) & 0xFF), UInt8((rawValue >> 8) & 0xFF), UInt8(rawValue & 0xFF)]
    }

    /// Dotted-quad text.
    public var description: String {
        "\(rawValue >> 24).\((rawValue >> 16) & 0xFF).\((rawValue >> 8) & 0xFF).\(rawValue & 0xFF)"
    }
}
