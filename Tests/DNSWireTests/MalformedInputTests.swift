import Testing

@testable import DNSWire

/// Hand-built packets for every `DNSWireError` the parser can raise.
@Suite("Malformed input")
struct MalformedInputTests {
    /// A 12-byte header with the given counts.
    private func header(qd: UInt16 = 0, an: UInt16 = 0, ns: UInt16 = 0, ar: UInt16 = 0) -> [UInt8] {
        [0x12, 0x34, 0x81, 0x00] + [qd, an, ns, ar].flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }

    /// "www.example.com" in wire form.
    private let www: [UInt8] = [3] + Array("www".utf8) + [7] + Array("example".utf8) + [3] + Array("com".utf8) + [0]

    private func expectError(_ expected: DNSWireError, _ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(throws: expected, sourceLocation: sourceLocation) { try DNSMessage(parsing: bytes) }
    }

    @Test func truncatedHeader() {
        for length in 0..<12 {
            expectError(.truncated, Array(header(qd: 0).prefix(length)))
            #expect(throws: DNSWireError.truncated) { try DNSHeader(parsing: Array(header().prefix(length))) }
        }
        #expect(throws: Never.self) { try DNSMessage(parsing: header()) }
    }

    @Test func truncatedInsideQuestionAndRecord() {
        let question = www + [0, 1, 0, 1]
        let full = header(qd: 1) + question
        // Fewer than the 5 bytes any question needs: the count itself overruns.
        for cut in 12..<17 {
            expectError(.countOverrun, Array(full.prefix(cut)))
        }
        for cut in 17..<full.count {
            expectError(.truncated, Array(full.prefix(cut)))
        }
        // RDLENGTH larger than what is left.
        let record = www + [0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2]
        expectError(.truncated, header(an: 1) + record)
    }

    @Test func pointerLoop() {
        // Offset 12: label of length 3 whose data hides a pointer at 14 (-> 12);
        // offset 16: pointer -> 14. Each pointer points backwards, but the chain revisits 12.
        let packet = header(qd: 1) + [3, 0x61, 0xC0, 0x0C, 0xC0, 0x0E, 0, 1, 0, 1]
        expectError(.pointerLoop, packet)
    }

    @Test func selfPointer() {
        expectError(.forwardPointer, header(qd: 1) + [0xC0, 0x0C, 0, 1, 0, 1])
    }

    @Test func forwardPointer() {
        expectError(.forwardPointer, header(qd: 1) + [0xC0, 0x12, 0, 1, 0, 1] + www)
        // Two pointers pointing at each other: the first one already points forward.
        expectError(.forwardPointer, header(qd: 1) + [0xC0, 0x0E, 0xC0, 0x0C, 0, 1, 0, 1])
    }

    @Test func sixtyFourByteLabelIsAnInvalidLabelType() {
        // On the wire a length byte of 64 has the reserved 0x40 type bits set.
        let packet = header(qd: 1) + [64] + [UInt8](repeating: 0x61, count: 64) + [0, 0, 1, 0, 1]
        expectError(.invalidLabelType, packet)
        #expect(throws: DNSWireError.labelTooLong) { try DNSName(String(repeating: "a", count: 64) + ".com") }
        #expect(throws: DNSWireError.labelTooLong) { try DNSName(labels: [[UInt8](repeating: 0x61, count: 64)]) }
    }

    @Test func reservedLabelTypes() {
        expectError(.invalidLabelType, header(qd: 1) + [0x40, 0, 0, 1, 0, 1])
        expectError(.invalidLabelType, header(qd: 1) + [0x80, 0, 0, 1, 0, 1])
    }

    @Test func nameLongerThan255() {
        // Four 63-byte labels: 4 * 64 + 1 = 257 octets.
        let label: [UInt8] = [63] + [UInt8](repeating: 0x61, count: 63)
        let packet = header(qd: 1) + label + label + label + label + [0, 0, 1, 0, 1]
        expectError(.nameTooLong, packet)
        // Also when built from compression pointers: 3 labels + a pointer to another 2 labels.
        let first = label + label + [0]  // at offset 12, 129 bytes
        let second = label + label + [0xC0, 0x0C]  // 128 + pointer -> 257 octets
        expectError(.nameTooLong, header(qd: 2) + first + [0, 1, 0, 1] + second + [0, 1, 0, 1])
        // Exactly 255 is fine: 3 * 64 + 62 + 1.
        let last: [UInt8] = [61] + [UInt8](repeating: 0x62, count: 61)
        let ok = header(qd: 1) + label + label + label + last + [0, 0, 1, 0, 1]
        #expect(throws: Never.self) { try DNSMessage(parsing: ok) }
        #expect(throws: DNSWireError.nameTooLong) {
            try DNSName(labels: [[UInt8]](repeating: [UInt8](repeating: 0x61, count: 63), count: 4))
        }
    }

    @Test func countOverrun() {
        let record = www + [0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]
        expectError(.countOverrun, header(an: 2) + record)
        expectError(.countOverrun, header(qd: 2) + www + [0, 1, 0, 1])
        expectError(.countOverrun, header(qd: 0xFFFF))
        expectError(.countOverrun, header(ar: 1) + [0, 0, 1, 0, 1, 0, 0, 0, 0, 0])
    }

    @Test func badRDataLength() {
        // A record with RDLENGTH 5.
        let a = www + [0, 1, 0, 1, 0, 0, 0, 60, 0, 5, 192, 0, 2, 1, 9]
        expectError(.badRData(type: 1), header(an: 1) + a)
        // AAAA with 4 bytes.
        let aaaa = www + [0, 28, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]
        expectError(.badRData(type: 28), header(an: 1) + aaaa)
        // CNAME whose name is shorter than RDLENGTH (one spare byte).
        let cname = www + [0, 5, 0, 1, 0, 0, 0, 60, 0, 4, 0xC0, 0x0C, 0, 0]
        expectError(.badRData(type: 5), header(an: 1) + cname)
        // CNAME whose name runs past RDLENGTH.
        let long = www + [0, 5, 0, 1, 0, 0, 0, 60, 0, 2] + www
        expectError(.badRData(type: 5), header(an: 1) + long)
        // TXT with empty RDATA and TXT whose string overruns.
        expectError(.badRData(type: 16), header(an: 1) + www + [0, 16, 0, 1, 0, 0, 0, 60, 0, 0])
        expectError(.badRData(type: 16), header(an: 1) + www + [0, 16, 0, 1, 0, 0, 0, 60, 0, 2, 5, 0x61])
        // SOA missing its last number.
        let soa = www + [0, 6, 0, 1, 0, 0, 0, 60, 0, 20, 0xC0, 0x0C, 0xC0, 0x0C] + [UInt8](repeating: 0, count: 16)
        expectError(.badRData(type: 6), header(an: 1) + soa)
        // OPT option overrunning the RDATA.
        let opt: [UInt8] = [0, 0, 41, 4, 0xD0, 0, 0, 0, 0, 0, 5, 0, 10, 0, 8, 1]
        expectError(.badRData(type: 41), header(ar: 1) + opt)
    }

    @Test func twoOPTRecords() {
        let opt: [UInt8] = [0, 0, 41, 4, 0xD0, 0, 0, 0, 0, 0, 0]
        expectError(.multipleOPT, header(ar: 2) + opt + opt)
    }

    @Test func misplacedOPT() {
        let opt: [UInt8] = [0, 0, 41, 4, 0xD0, 0, 0, 0, 0, 0, 0]
        expectError(.misplacedOPT, header(an: 1) + opt)
        expectError(.misplacedOPT, header(ns: 1) + opt)
        // OPT owned by a non-root name.
        expectError(.misplacedOPT, header(ar: 1) + www + [0, 41, 4, 0xD0, 0, 0, 0, 0, 0, 0])
    }

    @Test func trailingBytes() {
        expectError(.trailingBytes, header(qd: 1) + www + [0, 1, 0, 1, 0])
        expectError(.trailingBytes, header() + [0xFF])
    }

    @Test func nonINClassesAreLenientOnlyWhereSafe() throws {
        // Dynamic-update style deletion: class ANY, empty RDATA.
        let delete = try DNSMessage(parsing: header(ns: 1) + www + [0, 1, 0, 255, 0, 0, 0, 0, 0, 0])
        #expect(delete.authorities.first?.data == .unknown(type: .a, bytes: []))
        #expect(delete.authorities.first?.recordClass == .any)
        // CHAOS-style A with a 6-byte payload is kept raw.
        let chaos = try DNSMessage(parsing: header(an: 1) + www + [0, 1, 0, 3, 0, 0, 0, 0, 0, 6, 1, 2, 3, 4, 5, 6])
        #expect(chaos.answers.first?.data == .unknown(type: .a, bytes: [1, 2, 3, 4, 5, 6]))
        #expect(try DNSMessage(parsing: chaos.serialized()) == chaos)
        // Name-bearing types stay strict in every class.
        expectError(.badRData(type: 5), header(an: 1) + www + [0, 5, 0, 3, 0, 0, 0, 0, 0, 3, 0xC0, 0x0C, 0])
    }

    @Test func serializationRejectsUnencodableData() throws {
        let name = try DNSName("example.com")
        func message(_ data: DNSRecordData) -> DNSMessage {
            DNSMessage(header: DNSHeader(), answers: [DNSResourceRecord(name: name, ttl: 1, data: data)])
        }
        #expect(throws: DNSWireError.badRData(type: 16)) { try message(.txt([])).serialized() }
        #expect(throws: DNSWireError.badRData(type: 16)) {
            try message(.txt([[UInt8](repeating: 0, count: 256)])).serialized()
        }
        #expect(throws: DNSWireError.misplacedOPT) { try message(.unknown(type: .opt, bytes: [])).serialized() }
        #expect(throws: DNSWireError.messageTooLarge) {
            try message(.unknown(type: .caa, bytes: [UInt8](repeating: 0, count: 65536))).serialized()
        }
        let big = [DNSResourceRecord](
            repeating: DNSResourceRecord(name: name, ttl: 1, data: .unknown(type: .caa, bytes: [UInt8](repeating: 0, count: 1000))),
            count: 70)
        #expect(throws: DNSWireError.messageTooLarge) { try DNSMessage(header: DNSHeader(), answers: big).serialized() }
    }

    @Test func errorDescriptions() {
        let all: [DNSWireError] = [
            .truncated, .pointerLoop, .forwardPointer, .labelTooLong, .nameTooLong, .invalidLabelType, .countOverrun,
            .badRData(type: 1), .multipleOPT, .misplacedOPT, .trailingBytes, .invalidText("x"), .messageTooLarge,
        ]
        #expect(Set(all.map(\.description)).count == all.count)
        #expect(DNSWireError.badRData(type: 28).description.contains("AAAA"))
    }
}
