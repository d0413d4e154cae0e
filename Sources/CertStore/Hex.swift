/// Lowercase hexadecimal encoding (internal helper).
enum Hex {
    private static let digits: [Character] = Array("0123456789abcdef")

    /// Lowercase hex of `bytes`, two characters per byte, no separators.
    static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var out = ""
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return out
    }
}
