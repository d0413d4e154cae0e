import Testing

@testable import TLSClientHello

/// Inputs that are not a usable ClientHello, each with the specific error, refused as early as
/// the bytes allow.
@Suite("Malformed and refused input")
struct MalformedInputTests {
    /// Whether `result` is `.invalid(.malformed(reason))` with `fragment` in the reason.
    private func isMalformed(_ result: ClientHelloReadResult, _ fragment: String) -> Bool {
        guard case .invalid(.malformed(let reason)) = result else { return false }
        return reason.contains(fragment)
    }

    /// Every strict prefix of `bytes` shorter than `decisiveLength` needs more data, and every
    /// prefix from there on (and the whole) gives `expected`.
    private func expectRefusedAt(
        _ bytes: [UInt8], decisiveLength: Int, _ expected: ClientHelloReadResult,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        for length in 0...bytes.count {
            let result = ClientHelloReader.read(bytes[0..<length])
            let wanted = length < decisiveLength ? .needMoreData : expected
            #expect(result == wanted, "prefix of \(length) bytes", sourceLocation: sourceLocation)
        }
    }

    // MARK: Record layer

    @Test("an HTTP request is not a handshake, from its first byte")
    func httpRequest() {
        let bytes = Array("GET / HTTP/1.1\r\nHost: db.corp.test\r\n\r\n".utf8)
        expectRefusedAt(bytes, decisiveLength: 1, .invalid(.notHandshake(contentType: 0x47)))
    }

    @Test("other content types are not a handshake")
    func otherContentTypes() {
        for type: UInt8 in [0, 20, 21, 23, 24, 0x16 + 1, 0x7F] {
            #expect(ClientHelloReader.read([type]) == .invalid(.notHandshake(contentType: type)))
        }
        // A high-bit first byte not followed by a v2 CLIENT-HELLO is simply not a handshake.
        #expect(ClientHelloReader.read([0x80, 0x10]) == .needMoreData)
        #expect(ClientHelloReader.read([0x80, 0x10, 0x04]) == .invalid(.notHandshake(contentType: 0x80)))
    }

    @Test("an SSL 2.0 framed CLIENT-HELLO is refused as record version 2.0")
    func sslv2Hello() {
        // msg_length 0x2e with the high bit, msg_type 1, version 3.1, cipher spec/session/challenge lengths.
        var bytes: [UInt8] = [0x80, 0x2E, 0x01, 0x03, 0x01, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10]
        bytes += Array(repeating: 0x07, count: 21) + Array(repeating: 0x33, count: 16)
        expectRefusedAt(bytes, decisiveLength: 3, .invalid(.unsupportedRecordVersion(0x0002)))
    }

    @Test("a record whose major version is not 3 is refused from its version bytes")
    func recordMajorVersion() {
        let good = HelloBuilder().record
        for version: UInt16 in [0x0200, 0x0002, 0x0403, 0xFEFD, 0x0000] {
            var bytes = good
            bytes[1] = UInt8(version >> 8)
            bytes[2] = UInt8(version & 0xFF)
            expectRefusedAt(bytes, decisiveLength: 3, .invalid(.unsupportedRecordVersion(version)))
        }
        // Any 3.x record version is accepted (clients use 3.1 or 3.3; 3.0 from old ones).
        for minor: UInt8 in [0, 1, 2, 3, 4] {
            var bytes = good
            bytes[2] = minor
            guard case .complete = ClientHelloReader.read(bytes) else {
                Issue.record("record version 3.\(minor) refused")
                continue
            }
        }
    }

    @Test("a zero-length record is refused from its header")
    func zeroLengthRecord() {
        #expect(isMalformed(ClientHelloReader.read([22, 3, 1, 0, 0]), "zero-length"))
        #expect(ClientHelloReader.read([22, 3, 1, 0]) == .needMoreData)
        // Also as the second record of a fragmented hello.
        let message = HelloBuilder().message
        let bytes = Records.wrap(Array(message[0..<10]), fragmentSize: 10) + [22, 3, 1, 0, 0]
        #expect(isMalformed(ClientHelloReader.read(bytes), "zero-length"))
        #expect(isMalformed(ClientHelloReader.read(bytes + Records.wrap(Array(message[10...]), fragmentSize: 100)), "zero-length"))
    }

    @Test("a record longer than 2^14 + 256 is refused from its header")
    func oversizedRecord() {
        #expect(isMalformed(ClientHelloReader.read([22, 3, 1, 0xFF, 0xFF]), "record length 65535"))
        #expect(isMalformed(ClientHelloReader.read([22, 3, 1, 0x41, 0x01]), "record length 16641"))
        // 16640 itself is allowed by the record layer (the hello then decides).
        #expect(ClientHelloReader.read([22, 3, 1, 0x41, 0x00]) == .needMoreData)
    }

    @Test("a non-handshake record between fragments of the hello is refused")
    func interleavedRecord() {
        let message = HelloBuilder().message
        let first = Records.wrap(Array(message[0..<50]), fragmentSize: 50)
        let rest = Records.wrap(Array(message[50...]), fragmentSize: 1000)
        for type: UInt8 in [20, 21, 23, 0x47] {
            let interloper = Records.record(type: type, version: 0x0303, payload: [1, 2])
            let bytes = first + interloper + rest
            expectRefusedAt(bytes, decisiveLength: first.count + 1,
                            .invalid(.malformed("record of content type \(type) before the ClientHello is complete")))
        }
        // A later record with a bad version is refused as such.
        var bad = rest
        bad[1] = 2
        #expect(ClientHelloReader.read(first + bad) == .invalid(.unsupportedRecordVersion(0x0201)))
    }

    // MARK: Handshake header

    @Test("a handshake message other than ClientHello is refused from its type byte")
    func notClientHello() {
        for type: UInt8 in [0, 2, 4, 11, 20, 0xFF] {
            let bytes = Records.record(payload: HelloBuilder.handshake(type: type, body: HelloBuilder().body))
            expectRefusedAt(bytes, decisiveLength: 6, .invalid(.notClientHello(handshakeType: type)))
        }
        // Also when the record carries only the type byte and the length comes in the next record.
        let wrong = HelloBuilder.handshake(type: 2, body: HelloBuilder().body)
        let split = Records.wrap(wrong, sizes: [1, wrong.count - 1])
        #expect(ClientHelloReader.read(split[0..<6]) == .invalid(.notClientHello(handshakeType: 2)))
    }

    @Test("a huge declared hello length is refused before the data arrives")
    func hugeDeclaredLength() {
        let header: [UInt8] = [22, 3, 1, 0x40, 0x00, 1, 0xFF, 0xFF, 0xFF]
        #expect(ClientHelloReader.read(header) == .invalid(.tooLarge(0xFF_FFFF + 4)))
        #expect(ClientHelloReader.read(header[0..<8]) == .needMoreData)
        // Limit boundary: total 16384 is accepted (so far), 16385 is not.
        #expect(ClientHelloReader.read([22, 3, 1, 0x40, 0x00, 1, 0x00, 0x3F, 0xFC]) == .needMoreData)
        #expect(ClientHelloReader.read([22, 3, 1, 0x40, 0x00, 1, 0x00, 0x3F, 0xFD]) == .invalid(.tooLarge(16_385)))
        // The handshake header split over 1-byte records is refused as soon as the last length byte is in.
        let fragmented = Records.wrap([1, 0x01, 0x00, 0x00], fragmentSize: 1)
        #expect(ClientHelloReader.read(fragmented) == .invalid(.tooLarge(0x1_0000 + 4)))
        #expect(ClientHelloReader.read(fragmented.dropLast()) == .needMoreData)
        // A smaller limit from the caller.
        #expect(ClientHelloReader.read([22, 3, 1, 0x02, 0x00, 1, 0, 1, 0xFC], maximumLength: 400) == .invalid(.tooLarge(512)))
        // Degenerate limits never trap.
        #expect(ClientHelloReader.read(HelloBuilder().record, maximumLength: 0) == .invalid(.tooLarge(HelloBuilder().message.count)))
        #expect(ClientHelloReader.read(HelloBuilder().record, maximumLength: -5) == .invalid(.tooLarge(HelloBuilder().message.count)))
        guard case .complete = ClientHelloReader.read(HelloBuilder().record, maximumLength: .max) else {
            Issue.record("Int.max limit refused a small hello")
            return
        }
    }

    @Test("a hello of exactly the limit is read whole; one byte more is too large")
    func limitBoundary() throws {
        var hello = HelloBuilder()
        let base = hello.message.count
        hello.extensions?.append(HelloBuilder.padding(16_384 - base - 4))
        #expect(hello.message.count == 16_384)
        let bytes = Records.wrap(hello.message, fragmentSize: 16_384)
        let info = ClientHelloInfo(serverName: "app.corp.test", applicationProtocols: ["h2", "http/1.1"],
                                   offeredVersions: [0x0304, 0x0303], recordBytes: 16_384 + 5)
        #expect(ClientHelloReader.read(bytes) == .complete(info))
        // A 2^14 + 256 record may carry it whole too.
        hello.extensions?[3] = HelloBuilder.padding(16_384 - base - 4 + 1)
        let larger = Records.record(payload: hello.message)
        #expect(ClientHelloReader.read(larger) == .invalid(.tooLarge(16_385)))
        var larger2 = info
        larger2.recordBytes = 16_385 + 5
        #expect(ClientHelloReader.read(larger, maximumLength: 16_385) == .complete(larger2))
        // Larger hellos need several records.
        hello.extensions?[3] = HelloBuilder.padding(40_000)
        let big = Records.wrap(hello.message, fragmentSize: 16_384)
        var bigInfo = info
        bigInfo.recordBytes = big.count
        #expect(ClientHelloReader.read(big) == .invalid(.tooLarge(hello.message.count)))
        #expect(ClientHelloReader.read(big, maximumLength: 65_536) == .complete(bigInfo))
    }

    @Test("a body shorter than the smallest ClientHello is refused from the header")
    func tooShortBody() {
        let bytes = Records.record(payload: HelloBuilder.handshake(body: Array(repeating: 0, count: 40)))
        expectRefusedAt(bytes, decisiveLength: 9, .invalid(.malformed("ClientHello body of 40 bytes is shorter than 41")))
    }

    @Test("bytes after the hello inside its last record are refused as soon as the lengths show them")
    func trailingBytesInRecord() {
        let message = HelloBuilder().message
        // One record two bytes longer than the hello: known from the handshake header.
        let bytes = Records.record(payload: message + [0, 0])
        expectRefusedAt(bytes, decisiveLength: 9, .invalid(.malformed("2 bytes after the ClientHello in its last record")))
        // A second handshake message in the hello's record.
        let twoMessages = Records.record(payload: message + HelloBuilder.handshake(type: 2, body: [1, 2, 3]))
        #expect(isMalformed(ClientHelloReader.read(twoMessages), "7 bytes after the ClientHello"))
        // Fragmented: the last record declares one byte too many; refused at its header.
        let split = Records.wrap(Array(message[0..<100]), fragmentSize: 100)
        let last = Records.record(payload: Array(message[100...]) + [0])
        expectRefusedAt(split + last, decisiveLength: split.count + 5,
                        .invalid(.malformed("1 bytes after the ClientHello in its last record")))
    }

    // MARK: Body structure

    @Test("truncated vectors and disagreeing lengths in the body")
    func bodyStructure() {
        let valid = HelloBuilder().body
        /// The body with `patch` applied, wrapped with a correct handshake header and record.
        func read(_ patch: (inout [UInt8]) -> Void) -> ClientHelloReadResult {
            var body = valid
            patch(&body)
            return ClientHelloReader.read(Records.record(payload: HelloBuilder.handshake(body: body)))
        }
        // Session id: length byte at 34.
        #expect(isMalformed(read { $0[34] = 33 }, "legacy_session_id of 33 bytes"))
        #expect(isMalformed(read { $0[34] = 0xFF }, "legacy_session_id declares 255 bytes"))
        // Cipher suites: length at 67.
        #expect(isMalformed(read { $0[67] = 0; $0[68] = 5 }, "cipher_suites of 5 bytes"))
        #expect(isMalformed(read { $0[67] = 0; $0[68] = 0 }, "cipher_suites of 0 bytes"))
        #expect(isMalformed(read { $0[67] = 0x7F }, "cipher_suites declares"))
        // Compression methods: length at 75.
        #expect(isMalformed(read { $0[75] = 0 }, "empty legacy_compression_methods"))
        #expect(isMalformed(read { $0[75] = 200 }, "legacy_compression_methods declares 200"))
        // Extensions block length at 77.
        #expect(isMalformed(read { $0[78] &-= 1 }, "bytes after the extensions"))
        #expect(isMalformed(read { $0[78] &+= 1 }, "extensions declares"))
        #expect(isMalformed(read { $0.removeLast(valid.count - 77 - 1) }, "truncated length of extensions"))
        // First extension (server_name) length at 81.
        #expect(isMalformed(read { $0[81] = 0xFF }, "extension 0 declares"))
        #expect(isMalformed(read { $0[82] &+= 1 }, "1 bytes after the server_name list"))
        // An extension header cut short at the end of the block.
        var cut = HelloBuilder()
        cut.extensions = []
        var cutBody = cut.body
        cutBody.removeLast(2)
        cutBody += [0, 3, 0, 16, 0]
        #expect(isMalformed(ClientHelloReader.read(Records.record(payload: HelloBuilder.handshake(body: cutBody))),
                            "extension 16"))
        // Handshake length claims more than the records deliver, records end: needs more data (never complete).
        let message = HelloBuilder().message
        var longer = message
        longer[3] &+= 1
        #expect(ClientHelloReader.read(Records.record(payload: longer)) == .needMoreData)
        // Handshake length claims less than the body: the record has trailing bytes.
        var shorter = message
        shorter[3] &-= 1
        #expect(isMalformed(ClientHelloReader.read(Records.record(payload: shorter)), "1 bytes after the ClientHello"))
    }

    @Test("duplicate extensions are refused")
    func duplicateExtensions() {
        var hello = HelloBuilder()
        hello.extensions?.append(HelloBuilder.serverName("other.corp.test"))
        #expect(ClientHelloReader.read(hello.record) == .invalid(.malformed("duplicate extension 0")))
        hello = HelloBuilder()
        hello.extensions?.append(HelloBuilder.serverName("app.corp.test"))
        #expect(ClientHelloReader.read(hello.record) == .invalid(.malformed("duplicate extension 0")))
        hello = HelloBuilder()
        hello.extensions = [HelloBuilder.padding(2), HelloBuilder.alpn(["h2"]), HelloBuilder.padding(3)]
        #expect(ClientHelloReader.read(hello.record) == .invalid(.malformed("duplicate extension 21")))
    }

    @Test("server_name framing")
    func serverNameFraming() {
        func read(_ ext: HelloBuilder.Extension) -> ClientHelloReadResult {
            var hello = HelloBuilder()
            hello.extensions = [ext]
            return ClientHelloReader.read(hello.record)
        }
        #expect(isMalformed(read(.init(type: 0, data: [])), "truncated length of server_name list"))
        #expect(isMalformed(read(.init(type: 0, data: [0, 0])), "empty server_name list"))
        #expect(isMalformed(read(.init(type: 0, data: [0, 5, 0, 0, 2, 0x61])), "server_name list declares 5"))
        #expect(isMalformed(read(.init(type: 0, data: [0, 4, 0, 0, 1, 0x61, 0x61])), "bytes after the server_name list"))
        #expect(isMalformed(read(.init(type: 0, data: [0, 2, 0, 0])), "truncated length of server_name entry"))
        // Only a non-host_name entry.
        #expect(ClientHelloReader.read({
            var hello = HelloBuilder()
            hello.extensions = [HelloBuilder.serverNameEntries([(1, Array("x.test".utf8))])]
            return hello.record
        }()) == .invalid(.malformed("server_name has no host_name entry")))
        // Two host_name entries.
        #expect(isMalformed(read(HelloBuilder.serverNameEntries([(0, Array("a.test".utf8)), (0, Array("b.test".utf8))])),
                            "more than one host_name"))
        // A host_name next to an entry of another type is used.
        var mixed = HelloBuilder()
        mixed.extensions = [HelloBuilder.serverNameEntries([(7, [1, 2, 3]), (0, Array("Next.Corp.Test".utf8))])]
        guard case .complete(let info) = ClientHelloReader.read(mixed.record) else {
            Issue.record("mixed entries refused")
            return
        }
        #expect(info.serverName == "next.corp.test")
    }

    @Test("ALPN and supported_versions framing")
    func alpnAndVersionsFraming() {
        func read(_ ext: HelloBuilder.Extension) -> ClientHelloReadResult {
            var hello = HelloBuilder()
            hello.extensions = [ext]
            return ClientHelloReader.read(hello.record)
        }
        #expect(isMalformed(read(.init(type: 16, data: [0, 0])), "empty ALPN protocol_name_list"))
        #expect(isMalformed(read(.init(type: 16, data: [0, 1, 0])), "empty ALPN protocol name"))
        #expect(isMalformed(read(.init(type: 16, data: [0, 3, 5, 0x68, 0x32])), "ALPN protocol name declares 5"))
        #expect(isMalformed(read(.init(type: 16, data: [0, 3, 2, 0x68, 0x32, 0])), "bytes after the ALPN"))
        #expect(isMalformed(read(.init(type: 43, data: [0])), "supported_versions list of 0 bytes"))
        #expect(isMalformed(read(.init(type: 43, data: [3, 3, 4, 3])), "supported_versions list of 3 bytes"))
        #expect(isMalformed(read(.init(type: 43, data: [4, 3, 4])), "supported_versions list declares 4"))
        #expect(isMalformed(read(.init(type: 43, data: [2, 3, 4, 0])), "bytes after the supported_versions"))
        // Other extensions are skipped whatever they hold.
        guard case .complete(let info) = read(.init(type: 0xFFFF, data: [1, 2, 3])) else {
            Issue.record("unknown extension refused")
            return
        }
        #expect(info.serverName == nil)
        #expect(info.applicationProtocols.isEmpty)
        #expect(info.offeredVersions == [0x0303])
    }

    @Test("a hello without extensions is complete with no SNI and its legacy version")
    func noExtensions() {
        var hello = HelloBuilder()
        hello.extensions = nil
        hello.legacyVersion = 0x0302
        hello.sessionID = []
        let expected = ClientHelloReadResult.complete(
            ClientHelloInfo(serverName: nil, applicationProtocols: [], offeredVersions: [0x0302], recordBytes: hello.record.count))
        #expect(ClientHelloReader.read(hello.record) == expected)
        let fragmented = Records.wrap(hello.message, fragmentSize: 3)
        #expect(ClientHelloReader.read(fragmented) == .complete(
            ClientHelloInfo(serverName: nil, applicationProtocols: [], offeredVersions: [0x0302], recordBytes: fragmented.count)))
        // An empty extensions block is fine too.
        hello.extensions = []
        guard case .complete(let info) = ClientHelloReader.read(hello.record) else {
            Issue.record("empty extensions block refused")
            return
        }
        #expect(info.serverName == nil)
        #expect(info.offeredVersions == [0x0302])
    }

    @Test("GREASE values are reported as sent")
    func greaseKept() {
        var hello = HelloBuilder()
        hello.extensions = [Extension(type: 0x0A0A, data: []), HelloBuilder.supportedVersions([0x7A7A, 0x0304, 0x0303]),
                            HelloBuilder.alpn(["h2"]), Extension(type: 0x1A1A, data: [0])]
        guard case .complete(let info) = ClientHelloReader.read(hello.record) else {
            Issue.record("GREASE hello refused")
            return
        }
        #expect(info.offeredVersions == [0x7A7A, 0x0304, 0x0303])
        #expect(info.applicationProtocols == ["h2"])
    }

    private typealias Extension = HelloBuilder.Extension

    @Test("error descriptions are readable")
    func descriptions() {
        #expect(ClientHelloError.notHandshake(contentType: 71).description == "not a TLS handshake record (content type 71)")
        #expect(ClientHelloError.unsupportedRecordVersion(0x0002).description == "unsupported TLS record version 0x0002")
        #expect(ClientHelloError.unsupportedRecordVersion(0xFEFD).description == "unsupported TLS record version 0xfefd")
        #expect(ClientHelloError.notClientHello(handshakeType: 2).description.contains("type 2"))
        #expect(ClientHelloError.tooLarge(20_000).description.contains("20000"))
        #expect(ClientHelloError.malformed("x").description == "malformed ClientHello: x")
    }
}
