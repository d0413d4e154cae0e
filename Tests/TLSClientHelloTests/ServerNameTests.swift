import Testing

@testable import TLSClientHello

/// A label of the longest allowed length.
private let label63 = String(repeating: "a", count: 63)
/// A name of the longest allowed length: 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253 bytes.
private let name253 = [label63, label63, label63, String(repeating: "b", count: 61)].joined(separator: ".")

/// The SNI host_name rules (RFC 6066 section 3): LDH labels, lengths, no IP literals; lowercased.
@Suite("SNI host_name rules")
struct ServerNameTests {
    /// Reads a hello whose server_name carries `name` as its host_name.
    private func read(_ name: [UInt8]) -> ClientHelloReadResult {
        var hello = HelloBuilder()
        hello.extensions = [HelloBuilder.serverNameEntries([(0, name)]), HelloBuilder.alpn(["h2"])]
        return ClientHelloReader.read(hello.record)
    }

    private func serverName(_ name: String) -> String? {
        guard case .complete(let info) = read(Array(name.utf8)) else { return nil }
        return info.serverName
    }

    private func reason(_ name: [UInt8]) -> String? {
        guard case .invalid(.malformed(let reason)) = read(name) else { return nil }
        return reason
    }

    @Test("valid names are lowercased and lose one trailing dot", arguments: [
        ("db.corp.test", "db.corp.test"),
        ("DB.Corp.TEST", "db.corp.test"),
        ("db.corp.test.", "db.corp.test"),
        ("localhost", "localhost"),
        ("a", "a"),
        ("a-b.c-d.e", "a-b.c-d.e"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("1a.2b.test", "1a.2b.test"),
        ("192.0.2.1.nip.test", "192.0.2.1.nip.test"),
        ("0x1.test", "0x1.test"),
        ("a.0xg", "a.0xg"),
        ("a.1x", "a.1x"),
        ("\(label63).test", "\(label63).test"),
        (name253, name253),
        (name253 + ".", name253),
    ])
    func valid(raw: String, expected: String) {
        #expect(serverName(raw) == expected)
        #expect(HostNameOracle.expected(for: Array(raw.utf8)) == expected)
        #expect(ServerNameRules.isNormalized(expected))
    }

    @Test("invalid names are refused with the broken rule", arguments: [
        ("", "empty SNI host_name"),
        (".", "empty SNI host_name"),
        ("..", "empty label"),
        ("a..b", "empty label"),
        (".a", "empty label"),
        ("a.b..", "empty label"),
        ("-a.test", "starts with a hyphen"),
        ("a-.test", "ends with a hyphen"),
        ("a.test-", "ends with a hyphen"),
        ("a_b.test", "byte 95"),
        ("exa mple.test", "byte 32"),
        ("a*.test", "byte 42"),
        ("*.corp.test", "byte 42"),
        ("db.corp.test:443", "byte 58"),
        ("::1", "byte 58"),
        ("[::1]", "byte 91"),
        ("2001:db8::1", "byte 58"),
        ("192.0.2.1", "IP literal"),
        ("192.0.2.1.", "IP literal"),
        ("127.1", "IP literal"),
        ("3232235777", "IP literal"),
        ("0x7f.0.0.1", "IP literal"),
        ("a.0x7F", "IP literal"),
        ("a.0x", "IP literal"),
        ("host.123", "IP literal"),
        ("\(String(repeating: "a", count: 64)).test", "label longer than 63"),
        (name253 + "b", "254 bytes is longer than 253"),
        (name253 + "..", "254 bytes is longer than 253"),
    ])
    func invalid(raw: String, fragment: String) {
        let bytes = Array(raw.utf8)
        let why = reason(bytes)
        #expect(why?.contains(fragment) == true, "\(raw): \(why ?? "accepted")")
        #expect(HostNameOracle.expected(for: bytes) == nil)
    }

    @Test("non-ASCII and control bytes are refused")
    func nonASCII() {
        for bytes: [UInt8] in [Array("bücher.test".utf8), [0x61, 0x00, 0x62], [0x61, 0x0A], [0xFF], [0x61, 0x2E, 0x80]] {
            #expect(reason(bytes)?.contains("not a letter, digit, hyphen or dot") == true, "\(bytes)")
        }
    }

    @Test("the reader and the independent oracle agree on random names")
    func differentialAgainstOracle() {
        var generator = SeededGenerator(seed: 0x0057_1E0F)
        let alphabet = Array("aZ09-.._x".utf8) + [0x20, 0x80, 0x2E, 0x2E, 0x31, 0x32]
        var accepted = 0
        for round in 0..<5_000 {
            let length = round % 50 == 0 ? Int.random(in: 240...270, using: &generator) : Int.random(in: 0...20, using: &generator)
            var name = (0..<length).map { _ in alphabet.randomElement(using: &generator) ?? 0x61 }
            if round % 3 == 0 {
                // Mostly letters, so that many are valid.
                name = name.map { $0 == 0x2E || $0 == 0x2D ? $0 : UInt8(0x61 + Int($0) % 26) }
            }
            let expected = HostNameOracle.expected(for: name)
            let result = read(name)
            if let expected {
                accepted += 1
                guard case .complete(let info) = result else {
                    Issue.record("refused valid \(name): \(result)")
                    continue
                }
                #expect(info.serverName == expected)
            } else {
                guard case .invalid(.malformed) = result else {
                    Issue.record("accepted invalid \(name): \(result)")
                    continue
                }
            }
        }
        #expect(accepted > 500)
    }
}
