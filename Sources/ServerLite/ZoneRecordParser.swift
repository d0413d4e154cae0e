import DNSWire

/// Parses one record text ("A 203.0.113.50", "MX 10 mail", "TXT \"a\" \"b\"") into record data.
public enum ZoneRecordParser {
    /// - Parameters:
    ///   - text: "TYPE DATA" in zone-file syntax.
    ///   - origin: the zone, for names in data that do not end in a dot.
    public static func parse(_ text: String, origin: DNSName) throws -> DNSRecordData {
        let trimmed = text.drop { $0 == " " || $0 == "\t" }
        guard let space = trimmed.firstIndex(where: { $0 == " " || $0 == "\t" }) else {
            throw ZoneError.badRecord(text, "expected 'TYPE DATA'")
        }
        let mnemonic = String(trimmed[..<space])
        let rest = String(trimmed[space...].drop { $0 == " " || $0 == "\t" })
        let fields = rest.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let type = DNSRecordType(mnemonic: mnemonic) else {
            throw ZoneError.badRecord(text, "unknown type \(mnemonic)")
        }
        func field(_ index: Int) throws -> String {
            guard index < fields.count else { throw ZoneError.badRecord(text, "missing field \(index + 1)") }
            return fields[index]
        }
        func number(_ index: Int) throws -> UInt16 {
            guard let value = UInt16(try field(index)) else { throw ZoneError.badRecord(text, "field \(index + 1) is not a number") }
            return value
        }
        func name(_ index: Int) throws -> DNSName { try self.name(try field(index), origin: origin, record: text) }

        switch type {
        case .a:
            guard let address = IPv4Address(try field(0)) else { throw ZoneError.badRecord(text, "bad IPv4 address") }
            return .a(address)
        case .aaaa:
            guard let address = IPv6Address(try field(0)) else { throw ZoneError.badRecord(text, "bad IPv6 address") }
            return .aaaa(address)
        case .cname: return .cname(try name(0))
        case .ns: return .ns(try name(0))
        case .ptr: return .ptr(try name(0))
        case .mx: return .mx(preference: try number(0), exchange: try name(1))
        case .srv: return .srv(priority: try number(0), weight: try number(1), port: try number(2), target: try name(3))
        case .txt: return .txt(try self.characterStrings(rest, record: text))
        default:
            throw ZoneError.badRecord(text, "type \(mnemonic) is not supported in zones")
        }
    }

    /// A name relative to `origin` unless it ends in a dot; "@" is the origin itself.
    public static func name(_ text: String, origin: DNSName, record: String = "") throws -> DNSName {
        do {
            if text == "@" { return origin }
            if text.hasSuffix(".") { return try DNSName(text) }
            let relative = try DNSName(text)
            return try DNSName(labels: relative.labels + origin.labels)
        } catch {
            throw ZoneError.badRecord(record.isEmpty ? text : record, "bad name '\(text)': \(error)")
        }
    }

    /// TXT data: quoted strings ("a" "b", with \" and \\ escapes), or bare text cut into
    /// 255-byte strings.
    static func characterStrings(_ text: String, record: String) throws -> [[UInt8]] {
        guard text.hasPrefix("\"") else {
            let bytes = Array(text.utf8)
            guard !bytes.isEmpty else { throw ZoneError.badRecord(record, "empty TXT") }
            return stride(from: 0, to: bytes.count, by: 255).map { Array(bytes[$0..<min($0 + 255, bytes.count)]) }
        }
        var strings: [[UInt8]] = []
        var current: [UInt8] = []
        var inQuotes = false
        var escaped = false
        for byte in text.utf8 {
            if escaped {
                current.append(byte)
                escaped = false
            } else if inQuotes && byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                if inQuotes {
                    guard current.count <= 255 else { throw ZoneError.badRecord(record, "TXT string over 255 bytes") }
                    strings.append(current)
                    current = []
                }
                inQuotes.toggle()
            } else if inQuotes {
                current.append(byte)
            } else if byte != UInt8(ascii: " ") && byte != UInt8(ascii: "\t") {
                throw ZoneError.badRecord(record, "text outside quotes")
            }
        }
        guard !inQuotes, !strings.isEmpty else { throw ZoneError.badRecord(record, "unterminated or empty TXT") }
        return strings
    }
}
