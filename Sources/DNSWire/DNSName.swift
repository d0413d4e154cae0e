/// A domain name.
///
/// Labels are stored case-preserved in uncompressed wire form; `==`, `hash(into:)` and `<` are
/// ASCII case-insensitive (RFC 4343). `<` is the canonical DNS order of RFC 4034 section 6.1.
public struct DNSName: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// Uncompressed wire form, including the terminating root byte. Always valid.
    @usableFromInline
    internal let storage: [UInt8]

    /// The root name ".".
    public static let root = DNSName(uncheckedWire: [0])

    /// Wraps wire bytes already known to be a valid, uncompressed name ending in the root label.
    @inlinable
    internal init(uncheckedWire: [UInt8]) {
        self.storage = uncheckedWire
    }

    /// Parses presentation format: `"www.Example.com"`, `"www.example.com."` or `"."`.
    ///
    /// Supports `\.`-style escapes of any single character and `\DDD` decimal escapes.
    /// The name is always treated as absolute. Throws `.labelTooLong` / `.nameTooLong` when the
    /// RFC 1035 limits are exceeded and `.invalidText` for empty labels or bad escapes.
    public init(_ text: String) throws(DNSWireError) {
        if text == "." {
            self = .root
            return
        }
        let utf8 = Array(text.utf8)
        if utf8.isEmpty {
            throw .invalidText("empty name")
        }
        var wire: [UInt8] = []
        wire.reserveCapacity(utf8.count + 2)
        var labelStart = 0
        wire.append(0)
        var index = 0
        var labelLength = 0
        while index < utf8.count {
            let byte = utf8[index]
            if byte == UInt8(ascii: ".") {
                if labelLength == 0 {
                    throw .invalidText("empty label in \"\(text)\"")
                }
                wire[labelStart] = UInt8(labelLength)
                labelStart = wire.count
                wire.append(0)
                labelLength = 0
                index += 1
                continue
            }
            var value = byte
            if byte == UInt8(ascii: "\\") {
                index += 1
                guard index < utf8.count else {
                    throw .invalidText("dangling escape in \"\(text)\"")
                }
                let first = utf8[index]
                if DNSName.isDigit(first) {
                    guard index + 2 < utf8.count, DNSName.isDigit(utf8[index + 1]), DNSName.isDigit(utf8[index + 2]) else {
                        throw .invalidText("bad \\DDD escape in \"\(text)\"")
                    }
                    let number = Int(first &- 48) * 100 + Int(utf8[index + 1] &- 48) * 10 + Int(utf8[index + 2] &- 48)
                    guard number <= 255 else {
                        throw .invalidText("bad \\DDD escape in \"\(text)\"")
                    }
                    value = UInt8(number)
                    index += 3
                } else {
                    value = first
                    index += 1
                }
            } else {
                index += 1
            }
            labelLength += 1
            if labelLength > 63 {
                throw .labelTooLong
            }
            wire.append(value)
        }
        if labelLength > 0 {
            wire[labelStart] = UInt8(labelLength)
            wire.append(0)
        } else if labelStart == 0 {
            throw .invalidText("empty name")
        }
        // When the text ended with ".", the last appended placeholder byte is already the root.
        if wire.count > 255 {
            throw .nameTooLong
        }
        self.storage = wire
    }

    /// Builds a name from its labels (leftmost first, without the empty root label).
    ///
    /// Throws `.labelTooLong`, `.nameTooLong`, or `.invalidText` for an empty label.
    public init(labels: [[UInt8]]) throws(DNSWireError) {
        var wire: [UInt8] = []
        var total = 1
        for label in labels {
            if label.isEmpty {
                throw .invalidText("empty label")
            }
            if label.count > 63 {
                throw .labelTooLong
            }
            total += label.count + 1
        }
        if total > 255 {
            throw .nameTooLong
        }
        wire.reserveCapacity(total)
        for label in labels {
            wire.append(UInt8(label.count))
            wire.append(contentsOf: label)
        }
        wire.append(0)
        self.storage = wire
    }

    /// The labels, leftmost first, without the empty root label. Case is preserved.
    public var labels: [[UInt8]] {
        var result: [[UInt8]] = []
        result.reserveCapacity(labelCount)
        var index = 0
        while index < storage.count {
            let length = Int(storage[index])
            if length == 0 { break }
            result.append(Array(storage[(index + 1)..<(index + 1 + length)]))
            index += 1 + length
        }
        return result
    }

    /// The number of labels, not counting the root. The root name has zero.
    public var labelCount: Int {
        var count = 0
        var index = 0
        while index < storage.count {
            let length = Int(storage[index])
            if length == 0 { break }
            count += 1
            index += 1 + length
        }
        return count
    }

    /// Uncompressed wire length, including the root byte (1 for the root name).
    @inlinable
    public var wireLength: Int { storage.count }

    /// True for the root name.
    @inlinable
    public var isRoot: Bool { storage.count == 1 }

    /// The uncompressed wire form, including the terminating root byte.
    public var wireBytes: [UInt8] { storage }

    /// Presentation format with a trailing dot, e.g. `"www.Example.com."`; the root is `"."`.
    ///
    /// Dots and backslashes inside labels are escaped as `\.` and `\\`; bytes outside printable
    /// ASCII (including space) are escaped as `\DDD`.
    public var description: String {
        if isRoot { return "." }
        var out: [UInt8] = []
        out.reserveCapacity(storage.count + 8)
        var index = 0
        while index < storage.count {
            let length = Int(storage[index])
            if length == 0 { break }
            var position = index + 1
            let end = index + 1 + length
            while position < end {
                let byte = storage[position]
                if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "\\") {
                    out.append(UInt8(ascii: "\\"))
                    out.append(byte)
                } else if byte <= 0x20 || byte >= 0x7F {
                    out.append(UInt8(ascii: "\\"))
                    out.append(48 &+ byte / 100)
                    out.append(48 &+ (byte / 10) % 10)
                    out.append(48 &+ byte % 10)
                } else {
                    out.append(byte)
                }
                position += 1
            }
            out.append(UInt8(ascii: "."))
            index = end
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The same name with ASCII letters folded to lower case.
    public func lowercased() -> DNSName {
        var wire = storage
        for index in wire.indices {
            wire[index] = DNSName.lower(wire[index])
        }
        return DNSName(uncheckedWire: wire)
    }

    /// True when this name equals `other` or lies below it (case-insensitive, label-aligned):
    /// `www.example.com` is under `example.com`, `fooexample.com` is not.
    public func isSubdomain(of other: DNSName) -> Bool {
        let offset = storage.count - other.storage.count
        if offset < 0 { return false }
        // Find whether `offset` is a label boundary.
        var index = 0
        while index < offset {
            index += 1 + Int(storage[index])
        }
        if index != offset { return false }
        var position = 0
        while position < other.storage.count {
            if DNSName.lower(storage[offset + position]) != DNSName.lower(other.storage[position]) {
                return false
            }
            position += 1
        }
        return true
    }

    /// The parent name (this name without its leftmost label); `nil` for the root.
    public func dropFirstLabel() -> DNSName? {
        if isRoot { return nil }
        let first = Int(storage[0])
        return DNSName(uncheckedWire: Array(storage[(first + 1)...]))
    }

    /// Case-insensitive equality.
    public static func == (lhs: DNSName, rhs: DNSName) -> Bool {
        if lhs.storage.count != rhs.storage.count { return false }
        var index = 0
        let count = lhs.storage.count
        while index < count {
            let left = lhs.storage[index]
            let right = rhs.storage[index]
            if left != right && DNSName.lower(left) != DNSName.lower(right) {
                return false
            }
            index += 1
        }
        return true
    }

    /// Case-insensitive hash, consistent with `==`.
    public func hash(into hasher: inout Hasher) {
        let count = storage.count
        hasher.combine(count)
        var word: UInt64 = 0
        var shift: UInt64 = 0
        var index = 0
        while index < count {
            word |= UInt64(DNSName.lower(storage[index])) << shift
            shift += 8
            if shift == 64 {
                hasher.combine(word)
                word = 0
                shift = 0
            }
            index += 1
        }
        hasher.combine(word)
    }

    /// Canonical DNS order (RFC 4034 section 6.1): compare labels right to left, each as a
    /// case-folded octet string; a name sorts before the names below it.
    public static func < (lhs: DNSName, rhs: DNSName) -> Bool {
        let left = lhs.labelStarts()
        let right = rhs.labelStarts()
        var i = left.count - 1
        var j = right.count - 1
        while i >= 0 && j >= 0 {
            let order = compareLabel(lhs.storage, left[i], rhs.storage, right[j])
            if order != 0 { return order < 0 }
            i -= 1
            j -= 1
        }
        return left.count < right.count
    }

    /// Offsets of each label's length byte, leftmost first.
    internal func labelStarts() -> [Int] {
        var starts: [Int] = []
        var index = 0
        while index < storage.count {
            let length = Int(storage[index])
            if length == 0 { break }
            starts.append(index)
            index += 1 + length
        }
        return starts
    }

    private static func compareLabel(_ a: [UInt8], _ aStart: Int, _ b: [UInt8], _ bStart: Int) -> Int {
        let aLength = Int(a[aStart])
        let bLength = Int(b[bStart])
        let common = min(aLength, bLength)
        var k = 1
        while k <= common {
            let x = lower(a[aStart + k])
            let y = lower(b[bStart + k])
            if x != y { return x < y ? -1 : 1 }
            k += 1
        }
        return aLength == bLength ? 0 : (aLength < bLength ? -1 : 1)
    }

    @inline(__always)
    internal static func lower(_ byte: UInt8) -> UInt8 {
        (byte &- 65) < 26 ? byte | 0x20 : byte
    }

    @inline(__always)
    private static func isDigit(_ byte: UInt8) -> Bool {
        byte &- 48 < 10
    }
}
