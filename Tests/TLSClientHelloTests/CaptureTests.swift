import Testing

@testable import TLSClientHello

/// Real ClientHellos from OpenSSL, curl, GnuTLS (kdig, gnutls-cli) and Java (see `Captures/capture.py`).
@Suite("Real ClientHello captures")
struct CaptureTests {
    /// The info a capture must give when read whole (its records are exactly the file).
    private func expectedInfo(_ expectation: CaptureExpectation, recordBytes: Int) -> ClientHelloInfo {
        ClientHelloInfo(
            serverName: expectation.serverName,
            applicationProtocols: expectation.applicationProtocols,
            offeredVersions: expectation.offeredVersions,
            recordBytes: recordBytes)
    }

    @Test("every capture file has an expectation")
    func everyCaptureIsChecked() throws {
        let names = try CaptureFiles.allNames()
        #expect(names == CaptureExpectation.all.map(\.name).sorted())
        #expect(names.count >= 8)
    }

    @Test("each capture parses to its SNI, ALPN and versions", arguments: CaptureExpectation.all)
    func parses(expectation: CaptureExpectation) throws {
        let bytes = try CaptureFiles.load(expectation.name)
        #expect(ClientHelloReader.read(bytes) == .complete(expectedInfo(expectation, recordBytes: bytes.count)))
        // Any Collection works, not only arrays.
        #expect(ClientHelloReader.read(bytes[...]) == .complete(expectedInfo(expectation, recordBytes: bytes.count)))
        #expect(ClientHelloReader.read(AnyCollection(bytes)) == .complete(expectedInfo(expectation, recordBytes: bytes.count)))
    }

    @Test("every strict prefix of a capture needs more data", arguments: CaptureExpectation.all)
    func prefixesNeedMoreData(expectation: CaptureExpectation) throws {
        let bytes = try CaptureFiles.load(expectation.name)
        for length in 0..<bytes.count {
            let result = ClientHelloReader.read(bytes[0..<length])
            #expect(result == .needMoreData, "prefix of \(length) bytes gave \(result)")
            if result != .needMoreData { break }
        }
    }

    @Test("bytes after the hello do not change the result", arguments: CaptureExpectation.all)
    func trailingBytesIgnored(expectation: CaptureExpectation) throws {
        let bytes = try CaptureFiles.load(expectation.name)
        let expected = ClientHelloReadResult.complete(expectedInfo(expectation, recordBytes: bytes.count))
        let changeCipherSpec: [UInt8] = [20, 3, 3, 0, 1, 1]
        let earlyData = Records.record(type: 23, version: 0x0303, payload: Array(repeating: 0x42, count: 300))
        let followers: [[UInt8]] = [
            changeCipherSpec,
            changeCipherSpec + earlyData,
            Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8),
            [0],
            Array(repeating: 0xFF, count: 70_000),
            try CaptureFiles.load(expectation.name),
        ]
        for follower in followers {
            #expect(ClientHelloReader.read(bytes + follower) == expected)
        }
    }

    @Test("a capture re-fragmented into 1-byte records parses the same", arguments: CaptureExpectation.all)
    func oneByteRecords(expectation: CaptureExpectation) throws {
        try checkRefragmented(expectation, fragmentSize: 1)
    }

    @Test("a capture re-fragmented into 7-byte records parses the same", arguments: CaptureExpectation.all)
    func sevenByteRecords(expectation: CaptureExpectation) throws {
        try checkRefragmented(expectation, fragmentSize: 7)
    }

    @Test("a capture re-fragmented into random-size records parses the same", arguments: CaptureExpectation.all)
    func randomRecords(expectation: CaptureExpectation) throws {
        let message = Records.payloads(of: try CaptureFiles.load(expectation.name))
        var generator = SeededGenerator(seed: 0x5EED_0000 &+ UInt64(message.count))
        for largest in [2, 5, 40, 300, 2_000] {
            let (bytes, records) = Records.wrapRandomly(message, largest: largest, using: &generator)
            #expect(bytes.count == message.count + 5 * records)
            let expected = ClientHelloReadResult.complete(expectedInfo(expectation, recordBytes: bytes.count))
            #expect(ClientHelloReader.read(bytes) == expected)
            #expect(ClientHelloReader.read(bytes + [23, 3, 3, 0, 2, 9, 9]) == expected)
            // A sample of strict prefixes, including every cut in the last two records.
            let lastCuts = max(0, bytes.count - 12)..<bytes.count
            for length in stride(from: 0, to: bytes.count, by: 11).map({ $0 }) + Array(lastCuts) {
                #expect(ClientHelloReader.read(bytes[0..<length]) == .needMoreData, "prefix \(length)")
            }
        }
    }

    /// Re-wraps a capture's handshake message into records of `fragmentSize` and checks the result.
    private func checkRefragmented(_ expectation: CaptureExpectation, fragmentSize: Int) throws {
        let original = try CaptureFiles.load(expectation.name)
        let message = Records.payloads(of: original)
        #expect(message.count == original.count - 5)
        for version: UInt16 in [0x0301, 0x0303] {
            let bytes = Records.wrap(message, fragmentSize: fragmentSize, version: version)
            let records = (message.count + fragmentSize - 1) / fragmentSize
            #expect(bytes.count == message.count + 5 * records)
            let expected = ClientHelloReadResult.complete(expectedInfo(expectation, recordBytes: bytes.count))
            #expect(ClientHelloReader.read(bytes) == expected)
            #expect(ClientHelloReader.read(bytes + original) == expected)
            for length in stride(from: 0, to: bytes.count, by: 97).map({ $0 }) + Array(max(0, bytes.count - 12)..<bytes.count) {
                #expect(ClientHelloReader.read(bytes[0..<length]) == .needMoreData, "prefix \(length)")
            }
        }
    }

    @Test("the hello with no SNI reports none")
    func noServerName() throws {
        let bytes = try CaptureFiles.load("openssl-tls12-no-sni")
        guard case .complete(let info) = ClientHelloReader.read(bytes) else {
            Issue.record("not complete")
            return
        }
        #expect(info.serverName == nil)
        #expect(info.offeredVersions == [0x0303])
    }

    @Test("the limit applies to the handshake message: at the size passes, one below is too large")
    func limitOnCaptures() throws {
        for expectation in CaptureExpectation.all {
            let bytes = try CaptureFiles.load(expectation.name)
            let messageLength = bytes.count - 5
            #expect(ClientHelloReader.read(bytes, maximumLength: messageLength)
                == .complete(expectedInfo(expectation, recordBytes: bytes.count)))
            // Refused from the 9 header bytes alone.
            #expect(ClientHelloReader.read(bytes[0..<9], maximumLength: messageLength - 1) == .invalid(.tooLarge(messageLength)))
            #expect(ClientHelloReader.read(bytes, maximumLength: messageLength - 1) == .invalid(.tooLarge(messageLength)))
            #expect(ClientHelloReader.read(bytes[0..<8], maximumLength: messageLength - 1) == .needMoreData)
        }
    }
}
