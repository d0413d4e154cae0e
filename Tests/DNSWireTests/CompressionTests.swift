import Testing

@testable import DNSWire

/// Checks name compression by walking the encoded message structure.
@Suite("Name compression")
struct CompressionTests {
    struct Pointer: Equatable {
        var position: Int
        var target: Int
    }

    /// Walks a name at `offset`; returns the position after it and the pointers in it.
    private func walkName(_ bytes: [UInt8], _ offset: Int) -> (end: Int, pointers: [Pointer]) {
        var position = offset
        var pointers: [Pointer] = []
        while position < bytes.count {
            let length = bytes[position]
            if length & 0xC0 == 0xC0 {
                pointers.append(Pointer(position: position, target: Int(length & 0x3F) << 8 | Int(bytes[position + 1])))
                return (position + 2, pointers)
            }
            if length == 0 { return (position + 1, pointers) }
            position += 1 + Int(length)
        }
        return (position, pointers)
    }

    /// All pointers in the message (names in questions, owners and the known name-bearing RDATA);
    /// `srvTargetPointers` collects pointers found in SRV targets separately.
    private func pointers(in bytes: [UInt8]) -> (all: [Pointer], srvTargetPointers: [Pointer]) {
        func u16(_ at: Int) -> Int { Int(bytes[at]) << 8 | Int(bytes[at + 1]) }
        var all: [Pointer] = []
        var srv: [Pointer] = []
        var position = 12
        for _ in 0..<u16(4) {
            let name = walkName(bytes, position)
            all += name.pointers
            position = name.end + 4
        }
        let records = u16(6) + u16(8) + u16(10)
        for _ in 0..<records {
            let owner = walkName(bytes, position)
            all += owner.pointers
            let type = u16(owner.end)
            let length = u16(owner.end + 8)
            let rdata = owner.end + 10
            switch type {
            case 2, 5, 12: all += walkName(bytes, rdata).pointers
            case 15: all += walkName(bytes, rdata + 2).pointers
            case 6:
                let first = walkName(bytes, rdata)
                all += first.pointers + walkName(bytes, first.end).pointers
            case 33: srv += walkName(bytes, rdata + 6).pointers
            default: break
            }
            position = rdata + length
        }
        return (all, srv)
    }

    private func name(_ text: String) throws -> DNSName { try DNSName(text) }

    private func sampleResponse() throws -> DNSMessage {
        var message = DNSMessage.response(
            to: .query(id: 7, name: try name("www.example.com"), type: .a), responseCode: .noError)
        message.answers = [
            DNSResourceRecord(name: try name("www.example.com"), ttl: 60, data: .cname(try name("web.example.com"))),
            DNSResourceRecord(name: try name("WEB.EXAMPLE.COM"), ttl: 60, data: .a(IPv4Address(192, 0, 2, 1))),
            DNSResourceRecord(name: try name("example.com"), ttl: 60, data: .mx(preference: 10, exchange: try name("mail.example.com"))),
            DNSResourceRecord(
                name: try name("_x._tcp.example.com"), ttl: 60,
                data: .srv(priority: 1, weight: 2, port: 3, target: try name("host.example.com"))),
        ]
        message.authorities = [
            DNSResourceRecord(
                name: try name("example.com"), ttl: 60,
                data: .soa(DNSStartOfAuthority(
                    primaryServer: try name("ns1.example.com"), responsibleMailbox: try name("hostmaster.example.com"),
                    serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 5))),
            DNSResourceRecord(name: try name("example.com"), ttl: 60, data: .ns(try name("ns1.example.com"))),
        ]
        message.additionals = [
            DNSResourceRecord(name: try name("ns1.example.com"), ttl: 60, data: .a(IPv4Address(192, 0, 2, 53))),
            DNSResourceRecord(name: try name("host.example.com"), ttl: 60, data: .ptr(try name("host.example.com"))),
        ]
        return message
    }

    @Test func compressionShrinksAndRoundTrips() throws {
        let message = try sampleResponse()
        let compressed = try message.serialized()
        let plain = try message.serialized(compress: false)
        #expect(compressed.count < plain.count)
        #expect(try DNSMessage(parsing: compressed) == message)
        #expect(try DNSMessage(parsing: plain) == message)
        #expect(pointers(in: plain).all.isEmpty)
        var expected = 12 + 11
        for question in message.questions {
            expected += question.name.wireLength + 4
        }
        for record in message.answers + message.authorities + message.additionals {
            expected += record.name.wireLength + 10 + record.data.estimatedWireLength
        }
        #expect(plain.count == expected)
    }

    @Test func pointersOnlyPointBackwardAndNeverIntoSRVTargets() throws {
        let compressed = try sampleResponse().serialized()
        let found = pointers(in: compressed)
        #expect(!found.all.isEmpty)
        for pointer in found.all {
            #expect(pointer.target < pointer.position)
            #expect(pointer.target >= 12)
        }
        #expect(found.srvTargetPointers.isEmpty)
        // The question name is written once; later copies are bare pointers to offset 12.
        #expect(found.all.contains(Pointer(position: 33, target: 12)))
    }

    @Test func compressionIsCaseInsensitiveAndKeepsFirstSpelling() throws {
        let message = DNSMessage(
            header: DNSHeader(id: 1),
            questions: [DNSQuestion(name: try name("WwW.Example.COM"), type: .a)],
            answers: [DNSResourceRecord(name: try name("www.example.com"), ttl: 1, data: .a(IPv4Address(1, 2, 3, 4)))])
        let bytes = try message.serialized()
        #expect(bytes.count == 12 + 17 + 4 + 2 + 14)
        let parsed = try DNSMessage(parsing: bytes)
        #expect(parsed == message)
        #expect(parsed.answers.first?.name.description == "WwW.Example.COM.")
    }

    @Test func namesBeyond0x3FFFAreNotTargets() throws {
        // Push the writer past 0x3FFF with raw records, then write a new name twice.
        let filler = DNSResourceRecord(
            name: try name("f.example"), ttl: 1, data: .unknown(type: .caa, bytes: [UInt8](repeating: 0x61, count: 1000)))
        let late = try name("late.example")
        var message = DNSMessage(header: DNSHeader(), answers: Array(repeating: filler, count: 17))
        message.answers.append(DNSResourceRecord(name: late, ttl: 1, data: .cname(late)))
        message.answers.append(DNSResourceRecord(name: late, ttl: 1, data: .ns(late)))
        let bytes = try message.serialized()
        #expect(bytes.count > 0x4000)
        let found = pointers(in: bytes)
        for pointer in found.all {
            #expect(pointer.target <= 0x3FFF)
            #expect(pointer.target < pointer.position)
        }
        // "late" is written literally every time (4 times), "example" only once (before 0x3FFF).
        let lateLabel: [UInt8] = [4] + Array("late".utf8)
        #expect(occurrences(of: lateLabel, in: bytes) == 4)
        #expect(occurrences(of: [7] + Array("example".utf8), in: bytes) == 1)
        #expect(try DNSMessage(parsing: bytes) == message)
    }

    private func occurrences(of needle: [UInt8], in haystack: [UInt8]) -> Int {
        guard haystack.count >= needle.count else { return 0 }
        var count = 0
        for start in 0...(haystack.count - needle.count) where Array(haystack[start..<(start + needle.count)]) == needle {
            count += 1
        }
        return count
    }
}
