/// An output buffer for DNS messages with RFC 1035 section 4.1.4 name compression.
///
/// Compression targets are remembered by a 64-bit hash of each case-folded name suffix and are
/// verified byte-for-byte against the output before a pointer is emitted, so hash collisions
/// only cost compression, never correctness. Only offsets up to 0x3FFF are remembered.
internal struct WireWriter {
    private(set) var bytes: [UInt8]
    private let compressionEnabled: Bool
    private var suffixOffsets: [UInt64: Int]

    init(capacity: Int, compress: Bool) {
        bytes = []
        bytes.reserveCapacity(capacity)
        compressionEnabled = compress
        suffixOffsets = [:]
        if compress { suffixOffsets.reserveCapacity(32) }
    }

    var count: Int { bytes.count }

    @inline(__always)
    mutating func writeUInt8(_ value: UInt8) {
        bytes.append(value)
    }

    @inline(__always)
    mutating func writeUInt16(_ value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xFF))
    }

    @inline(__always)
    mutating func writeUInt32(_ value: UInt32) {
        bytes.append(UInt8(value >> 24))
        bytes.append(UInt8((value >> 16) & 0xFF))
        bytes.append(UInt8((value >> 8) & 0xFF))
        bytes.append(UInt8(value & 0xFF))
    }

    mutating func writeBytes(_ value: [UInt8]) {
        bytes.append(contentsOf: value)
    }

    /// Overwrites two bytes at `offset` (used for RDLENGTH back-patching).
    mutating func patchUInt16(_ value: UInt16, at offset: Int) {
        bytes[offset] = UInt8(value >> 8)
        bytes[offset + 1] = UInt8(value & 0xFF)
    }

    mutating func writeHeader(_ header: DNSHeader) {
        header.write(into: &bytes)
    }

    /// Writes `name`. When compression is enabled for this message, the name's suffixes are
    /// remembered as pointer targets, and the name itself is compressed when `compressible`
    /// (an uncompressible SRV target may still be pointed to by later names, as real servers do).
    mutating func writeName(_ name: DNSName, compressible: Bool) {
        let wire = name.storage
        guard compressionEnabled, wire.count > 1 else {
            bytes.append(contentsOf: wire)
            return
        }
        // At most 127 labels fit in 255 octets.
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 128) { starts in
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 128) { hashes in
                var labelCount = 0
                var index = 0
                while index < wire.count, wire[index] != 0, labelCount < 128 {
                    starts[labelCount] = index
                    labelCount += 1
                    index += 1 + Int(wire[index])
                }
                // FNV-1a over the case-folded suffix, built from the right.
                var hash: UInt64 = 0xcbf2_9ce4_8422_2325
                var label = labelCount - 1
                while label >= 0 {
                    let start = starts[label]
                    let end = start + 1 + Int(wire[start])
                    var position = start
                    while position < end {
                        hash = (hash ^ UInt64(DNSName.lower(wire[position]))) &* 0x100_0000_01b3
                        position += 1
                    }
                    hashes[label] = hash
                    label -= 1
                }
                var matchLabel = labelCount
                var matchOffset = 0
                for candidate in 0..<labelCount where compressible {
                    if let offset = suffixOffsets[hashes[candidate]],
                        outputMatches(wire, from: starts[candidate], at: offset)
                    {
                        matchLabel = candidate
                        matchOffset = offset
                        break
                    }
                }
                for label in 0..<matchLabel {
                    let offset = bytes.count
                    if offset <= 0x3FFF && suffixOffsets[hashes[label]] == nil {
                        suffixOffsets[hashes[label]] = offset
                    }
                    let start = starts[label]
                    bytes.append(contentsOf: wire[start..<(start + 1 + Int(wire[start]))])
                }
                if matchLabel < labelCount {
                    bytes.append(0xC0 | UInt8(matchOffset >> 8))
                    bytes.append(UInt8(matchOffset & 0xFF))
                } else {
                    bytes.append(0)
                }
            }
        }
    }

    /// True when the name already written at `offset` equals the suffix of `wire` starting at
    /// `start`, case-insensitively. Follows (backward) pointers in the output.
    private func outputMatches(_ wire: [UInt8], from start: Int, at offset: Int) -> Bool {
        var output = offset
        var index = start
        var hops = 0
        while true {
            guard output < bytes.count, index < wire.count else { return false }
            let length = bytes[output]
            if length & 0xC0 == 0xC0 {
                guard output + 1 < bytes.count, hops < 128 else { return false }
                output = Int(length & 0x3F) << 8 | Int(bytes[output + 1])
                hops += 1
                continue
            }
            let expected = wire[index]
            guard length == expected else { return false }
            if length == 0 { return true }
            let labelLength = Int(length)
            guard output + labelLength < bytes.count, index + labelLength < wire.count else { return false }
            var k = 1
            while k <= labelLength {
                if DNSName.lower(bytes[output + k]) != DNSName.lower(wire[index + k]) { return false }
                k += 1
            }
            output += 1 + labelLength
            index += 1 + labelLength
        }
    }
}
