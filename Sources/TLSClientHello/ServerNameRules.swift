/// The checks an SNI host_name must pass before a router may act on it (RFC 6066 section 3).
///
/// A name is one to 253 bytes (one trailing dot is allowed and removed), made of dot-separated
/// LDH labels: 1 to 63 ASCII letters, digits and hyphens, not starting or ending with a hyphen.
/// Literal IP addresses are not permitted: a name whose last label is all digits, or `0x`
/// followed by hex digits (what URL parsers read as an IPv4 number), is refused. IPv6 literals
/// fail the LDH rule already. Accepted names are returned lowercased.
internal enum ServerNameRules {
    /// The longest accepted name in bytes, without a trailing dot.
    static let maximumNameLength = 253
    /// The longest accepted label in bytes.
    static let maximumLabelLength = 63

    /// Validates a host_name as sent and returns it lowercased without a trailing dot.
    static func normalize(_ raw: ArraySlice<UInt8>) throws(ClientHelloError) -> String {
        var name = raw
        if name.last == UInt8(ascii: ".") {
            name = name.dropLast()
        }
        guard !name.isEmpty else { throw .malformed("empty SNI host_name") }
        guard name.count <= maximumNameLength else {
            throw .malformed("SNI host_name of \(name.count) bytes is longer than \(maximumNameLength)")
        }
        var lowered: [UInt8] = []
        lowered.reserveCapacity(name.count)
        var labelLength = 0
        var labelStart = 0
        var previous: UInt8 = 0
        for byte in name {
            if byte == UInt8(ascii: ".") {
                try endLabel(length: labelLength, previous: previous)
                labelLength = 0
                labelStart = lowered.count + 1
            } else {
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    break
                case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                    break
                case UInt8(ascii: "-"):
                    guard labelLength > 0 else { throw .malformed("SNI host_name label starts with a hyphen") }
                default:
                    throw .malformed("SNI host_name has byte \(byte), not a letter, digit, hyphen or dot")
                }
                labelLength += 1
                guard labelLength <= maximumLabelLength else {
                    throw .malformed("SNI host_name label longer than \(maximumLabelLength) bytes")
                }
            }
            lowered.append(lowercased(byte))
            previous = byte
        }
        try endLabel(length: labelLength, previous: previous)
        if isNumeric(lowered[labelStart...]) {
            throw .malformed("SNI host_name is an IP literal")
        }
        return String(decoding: lowered, as: UTF8.self)
    }

    /// Whether `name` (as found in ``ClientHelloInfo/serverName``) passes the rules and is already
    /// in normal form (lowercase, no trailing dot).
    static func isNormalized(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let normal = try? normalize(bytes[...]) else { return false }
        return normal == name
    }

    /// Checks the label that just ended.
    private static func endLabel(length: Int, previous: UInt8) throws(ClientHelloError) {
        guard length > 0 else { throw .malformed("SNI host_name has an empty label") }
        guard previous != UInt8(ascii: "-") else { throw .malformed("SNI host_name label ends with a hyphen") }
    }

    /// Whether a (lowercased) last label reads as a number: all digits, or `0x` and hex digits.
    private static func isNumeric(_ label: ArraySlice<UInt8>) -> Bool {
        if label.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            return true
        }
        guard label.count >= 2, label.first == UInt8(ascii: "0"),
            label[label.startIndex + 1] == UInt8(ascii: "x")
        else { return false }
        return label.dropFirst(2).allSatisfy { byte in
            (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
        }
    }

    /// ASCII lowercase of one byte.
    @inline(__always)
    private static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }
}
