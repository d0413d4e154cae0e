/// An independent statement of the SNI rules (RFC 6066 section 3 as the reader applies them),
/// written differently from the reader's so the two check each other.
enum HostNameOracle {
    /// The name the reader must report for raw host_name bytes, or nil when it must refuse them.
    static func expected(for raw: [UInt8]) -> String? {
        var bytes = raw
        if bytes.last == 0x2E { bytes.removeLast() }
        guard (1...253).contains(bytes.count) else { return nil }
        let labels = bytes.split(separator: 0x2E, omittingEmptySubsequences: false)
        for label in labels {
            guard (1...63).contains(label.count) else { return nil }
            guard label.first != 0x2D, label.last != 0x2D else { return nil }
            for byte in label {
                let isLetter = (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                let isDigit = (0x30...0x39).contains(byte)
                guard isLetter || isDigit || byte == 0x2D else { return nil }
            }
        }
        let text = String(decoding: bytes, as: UTF8.self).lowercased()
        guard let last = text.split(separator: ".").last else { return nil }
        if last.allSatisfy(\.isNumber) { return nil }
        if last.hasPrefix("0x"), last.dropFirst(2).allSatisfy(\.isHexDigit) { return nil }
        return text
    }

    /// Whether a reported serverName is acceptable: valid and already normalized.
    static func isAcceptable(_ name: String) -> Bool {
        expected(for: Array(name.utf8)) == name
    }
}
