import Testing

@testable import DNSWire

@Suite("Message building and encoding")
struct MessageAPITests {
    private func name(_ text: String) throws -> DNSName { try DNSName(text) }

    @Test func queryBuilderMatchesHandEncodedBytes() throws {
        let query = DNSMessage.query(id: 0xBEEF, name: try name("example.com"), type: .aaaa)
        #expect(query.header.recursionDesired)
        #expect(!query.header.isResponse)
        #expect(query.questions == [DNSQuestion(name: try name("example.com"), type: .aaaa, questionClass: .internet)])
        #expect(query.edns == EDNSRecord(udpPayloadSize: 1232))
        let expected: [UInt8] = [0xBE, 0xEF, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1]
            + [7] + Array("example".utf8) + [3] + Array("com".utf8) + [0, 0, 28, 0, 1]
            + [0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0]
        #expect(try query.serialized() == expected)
        let plain = DNSMessage.query(id: 1, name: .root, type: .ns, recursionDesired: false, ednsPayloadSize: nil)
        #expect(plain.edns == nil)
        #expect(try plain.serialized() == [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1])
    }

    @Test func responseSkeleton() throws {
        var query = DNSMessage.query(id: 42, name: try name("Example.com"), type: .a)
        query.header.checkingDisabled = true
        query.edns?.dnssecOK = true
        query.edns?.udpPayloadSize = 4096
        query.edns?.options = [EDNSOption(code: EDNSOption.cookieCode, data: [1, 2, 3, 4, 5, 6, 7, 8])]
        let response = DNSMessage.response(to: query, responseCode: .refused)
        #expect(response.header.id == 42)
        #expect(response.header.isResponse)
        #expect(response.header.recursionDesired)
        #expect(response.header.checkingDisabled)
        #expect(!response.header.isAuthoritative)
        #expect(response.header.opcode == .query)
        #expect(response.questions == query.questions)
        #expect(response.questions.first?.name.description == "Example.com.")
        #expect(response.edns == EDNSRecord(udpPayloadSize: 1232, dnssecOK: true))
        #expect(response.responseCode == .refused)

        var noEDNS = query
        noEDNS.edns = nil
        noEDNS.header.opcode = .notify
        let plain = DNSMessage.response(to: noEDNS, responseCode: .nameError)
        #expect(plain.edns == nil)
        #expect(plain.header.opcode == .notify)
        #expect(plain.responseCode == .nameError)
        #expect(try DNSMessage(parsing: plain.serialized()) == plain)
    }

    @Test func extendedResponseCodeSplitsAcrossHeaderAndOPT() throws {
        var message = DNSMessage(header: DNSHeader(id: 1, isResponse: true))
        message.responseCode = .badVersion
        #expect(message.header.responseCodeLow == 0)
        #expect(message.edns?.extendedResponseCodeHigh == 1)
        #expect(message.responseCode == .badVersion)
        message.responseCode = DNSResponseCode(rawValue: 0xABC)
        #expect(message.header.responseCodeLow == 0xC)
        #expect(message.edns?.extendedResponseCodeHigh == 0xAB)
        let parsed = try DNSMessage(parsing: message.serialized())
        #expect(parsed.responseCode.rawValue == 0xABC)
        message.responseCode = .serverFailure
        #expect(message.edns?.extendedResponseCodeHigh == 0)
        var bare = DNSMessage(header: DNSHeader())
        bare.responseCode = .nameError
        #expect(bare.edns == nil)
        #expect(DNSResponseCode.nameError.description == "NXDOMAIN")
        #expect(DNSResponseCode.badVersion.description == "BADVERS")
        #expect(DNSResponseCode(rawValue: 4000).description == "RCODE4000")
    }

    @Test func headerFlagsRoundTrip() throws {
        let header = DNSHeader(
            id: 0x1234, isResponse: true, opcode: .update, isAuthoritative: true, isTruncated: true,
            recursionDesired: true, recursionAvailable: true, authenticData: true, checkingDisabled: true,
            responseCodeLow: 5, questionCount: 1, answerCount: 2, authorityCount: 3, additionalCount: 4)
        let bytes = header.serialized()
        #expect(bytes == [0x12, 0x34, 0xAF, 0xB5, 0, 1, 0, 2, 0, 3, 0, 4])
        #expect(try DNSHeader(parsing: bytes + [9, 9]) == header)
        #expect(DNSHeader.size == 12)
        var packet = bytes
        DNSHeader.rewriteID(0xCAFE, in: &packet)
        #expect(DNSHeader.peekID(in: packet) == 0xCAFE)
        #expect(DNSHeader.peekID(in: [1]) == nil)
        // The Z bit (0x0040) is ignored.
        #expect(try DNSHeader(parsing: [0, 0, 0x00, 0x40] + [UInt8](repeating: 0, count: 8)) == DNSHeader())
    }

    @Test func equalityIgnoresHeaderCounts() throws {
        let query = DNSMessage.query(id: 5, name: try name("a.example"), type: .txt)
        var other = query
        other.header.questionCount = 9
        other.header.additionalCount = 0
        #expect(other == query)
        #expect(other.hashValue == query.hashValue)
        other.header.id = 6
        #expect(other != query)
    }

    @Test func paddingToBlockSize() throws {
        let query = DNSMessage.query(id: 1, name: try name("www.example.com"), type: .a)
        for block in [128, 468, 1, 7] {
            let padded = try query.serialized(paddingToMultipleOf: block)
            #expect(padded.count % block == 0)
            let parsed = try DNSMessage(parsing: padded)
            #expect(parsed.edns?.options.filter { $0.code == EDNSOption.paddingCode }.count == 1)
        }
        // Replaces existing padding and keeps other options.
        var withOptions = query
        withOptions.edns?.options = [.padding(length: 300), .tcpKeepalive(timeoutHundredMilliseconds: nil)]
        let padded = try withOptions.serialized(paddingToMultipleOf: 128)
        #expect(padded.count == 128)
        let options = try DNSMessage(parsing: padded).edns?.options ?? []
        #expect(options.map(\.code) == [EDNSOption.tcpKeepaliveCode, EDNSOption.paddingCode])
        // Adds EDNS when missing.
        let plain = DNSMessage.query(id: 1, name: try name("x.example"), type: .a, ednsPayloadSize: nil)
        let paddedPlain = try DNSMessage(parsing: plain.serialized(paddingToMultipleOf: 128))
        #expect(paddedPlain.edns?.udpPayloadSize == 1232)
        #expect(try plain.serialized(paddingToMultipleOf: 128).count == 128)
        #expect(try plain.serialized(paddingToMultipleOf: 0).count == plain.serialized().count + 15)
    }

    @Test func ednsOptionHelpers() {
        #expect(EDNSOption.padding(length: 3) == EDNSOption(code: 12, data: [0, 0, 0]))
        #expect(EDNSOption.padding(length: -1).data.isEmpty)
        let server = EDNSOption.tcpKeepalive(timeoutHundredMilliseconds: 0x0102)
        #expect(server == EDNSOption(code: 11, data: [1, 2]))
        #expect(server.tcpKeepaliveTimeout == 0x0102)
        #expect(EDNSOption.tcpKeepalive(timeoutHundredMilliseconds: nil).data.isEmpty)
        #expect(EDNSOption(code: 12, data: [1, 2]).tcpKeepaliveTimeout == nil)
        #expect(EDNSOption(code: 11, data: [1, 2, 3]).tcpKeepaliveTimeout == nil)
    }

    @Test func ednsFieldsRoundTrip() throws {
        var edns = EDNSRecord(udpPayloadSize: 100, dnssecOK: true, options: [EDNSOption(code: 65001, data: [])])
        edns.version = 1
        edns.extendedResponseCodeHigh = 0
        edns.flagsRemainder = 0x1234
        let message = DNSMessage(header: DNSHeader(), edns: edns)
        let bytes = try message.serialized()
        #expect(Array(bytes.suffix(15)) == [0, 0, 41, 0, 100, 0, 1, 0x92, 0x34, 0, 4, 0xFD, 0xE9, 0, 0])
        #expect(try DNSMessage(parsing: bytes).edns == edns)
    }

    @Test func optPrecedesTrailingTSIG() throws {
        let tsig = DNSResourceRecord(name: try name("key.example"), recordClass: .any, ttl: 0, data: .unknown(type: .tsig, bytes: [1, 2, 3]))
        let glue = DNSResourceRecord(name: try name("ns.example"), ttl: 60, data: .a(IPv4Address(192, 0, 2, 1)))
        let message = DNSMessage(header: DNSHeader(id: 3), additionals: [glue, tsig], edns: EDNSRecord())
        let bytes = try message.serialized()
        #expect(Array(bytes.suffix(3)) == [1, 2, 3])
        #expect(try DNSMessage(parsing: bytes) == message)
    }

    @Test func fittingInTruncatesWholeSections() throws {
        var response = DNSMessage.response(to: .query(id: 9, name: try name("big.example"), type: .a), responseCode: .noError)
        let owner = try name("big.example")
        response.answers = (0..<100).map { i in
            DNSResourceRecord(name: owner, ttl: 60, data: .a(IPv4Address(10, 0, 0, UInt8(i))))
        }
        let full = try response.serialized()
        #expect(full.count > 1232)
        let cut = try response.serialized(fittingIn: 512)
        #expect(cut.count <= 512)
        let parsed = try DNSMessage(parsing: cut)
        #expect(parsed.header.isTruncated)
        #expect(parsed.answers.isEmpty)
        #expect(parsed.questions == response.questions)
        #expect(parsed.edns == response.edns)
        #expect(try response.serialized(fittingIn: 100).count <= 512)
        #expect(try response.serialized(fittingIn: 65535) == full)
        #expect(try response.serialized(fittingIn: full.count) == full)
        #expect(try DNSMessage(parsing: response.serialized(fittingIn: full.count - 1)).header.isTruncated)
        let small = DNSMessage.response(to: .query(id: 1, name: try name("a.example"), type: .a), responseCode: .noError)
        #expect(try small.serialized(fittingIn: 0) == small.serialized())
    }

    @Test func fittingInDropsOversizedQuestionsAndOptions() throws {
        let long = try DNSName(labels: Array(repeating: [UInt8](repeating: 0x61, count: 60), count: 4))
        var message = DNSMessage(header: DNSHeader(id: 1, isResponse: true), questions: Array(repeating: DNSQuestion(name: long, type: .a), count: 3))
        message.edns = EDNSRecord(options: [EDNSOption(code: 65001, data: [UInt8](repeating: 1, count: 600))])
        message.responseCode = .badCookie
        let cut = try message.serialized(fittingIn: 512)
        #expect(cut.count <= 512)
        let parsed = try DNSMessage(parsing: cut)
        #expect(parsed.header.isTruncated)
        #expect(parsed.responseCode == .badCookie)
    }

    @Test func typeAndClassMnemonics() {
        #expect(DNSRecordType(mnemonic: "A") == .a)
        #expect(DNSRecordType(mnemonic: "aaaa") == .aaaa)
        #expect(DNSRecordType(mnemonic: "TYPE65") == DNSRecordType(rawValue: 65))
        #expect(DNSRecordType(mnemonic: "type1") == .a)
        #expect(DNSRecordType(mnemonic: "TYPE65536") == nil)
        #expect(DNSRecordType(mnemonic: "TYPE") == nil)
        #expect(DNSRecordType(mnemonic: "BOGUS") == nil)
        #expect(DNSRecordType(rawValue: 65).description == "HTTPS")
        #expect(DNSRecordType(rawValue: 65280).description == "TYPE65280")
        let standard: [(DNSRecordType, UInt16, String)] = [
            (.a, 1, "A"), (.ns, 2, "NS"), (.cname, 5, "CNAME"), (.soa, 6, "SOA"), (.ptr, 12, "PTR"), (.mx, 15, "MX"),
            (.txt, 16, "TXT"), (.aaaa, 28, "AAAA"), (.srv, 33, "SRV"), (.opt, 41, "OPT"), (.any, 255, "ANY"),
        ]
        for (type, code, text) in standard {
            #expect(type.rawValue == code)
            #expect(type.description == text)
            #expect(DNSRecordType(mnemonic: text.lowercased()) == type)
        }
        #expect(DNSClass.internet.rawValue == 1 && DNSClass.chaos.rawValue == 3 && DNSClass.any.rawValue == 255)
        #expect(DNSClass.internet.description == "IN")
        #expect(DNSClass(rawValue: 7).description == "CLASS7")
        #expect(DNSClass(mnemonic: "ch") == .chaos)
        #expect(DNSClass(mnemonic: "CLASS7") == DNSClass(rawValue: 7))
        #expect(DNSOpcode.query.rawValue == 0 && DNSOpcode.notify.rawValue == 4 && DNSOpcode.update.rawValue == 5)
        #expect(DNSResponseCode.noError.rawValue == 0 && DNSResponseCode.formatError.rawValue == 1)
        #expect(DNSResponseCode.serverFailure.rawValue == 2 && DNSResponseCode.nameError.rawValue == 3)
        #expect(DNSResponseCode.notImplemented.rawValue == 4 && DNSResponseCode.refused.rawValue == 5)
        #expect(DNSResponseCode.badVersion.rawValue == 16)
    }
}
