import Foundation
import Testing
import TestSupport

extension EndToEnd {
    /// Answers bigger than a UDP datagram: TC over UDP, whole over TCP, ~60 KB across DoT.
    @Suite("Large answers")
    struct LargeAnswers {
        /// 3000 bytes of a pattern that makes any reordering or loss visible.
        static let bigText: String = {
            let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz")
            return String((0..<3000).map { alphabet[($0 * 7 + $0 / 36) % alphabet.count] })
        }()

        /// 230 distinct strings of 255 bytes each (58,650 bytes of text).
        static let hugeStrings: [String] = (0..<230).map { index in
            let prefix = "s\(index)-"
            let filler = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
            return prefix + String((0..<(255 - prefix.count)).map { filler[($0 + index) % filler.count] })
        }

        struct Setup {
            let fixture: ServerFixture
            let server: RunningServer
            let agent: RunningAgent
            let laptop: TestPKI.Files
        }

        static func setUp(_ scope: TestScope) async throws -> Setup {
            let fixture = try ServerFixture()
            scope.adopt(directory: fixture.directory)
            let laptop = try fixture.issue("laptop-1")
            let huge = "huge TXT " + Self.hugeStrings.map { "\"\($0)\"" }.joined(separator: " ")
            try fixture.administration.addZone(
                "internal.corp", records: ["big TXT \(Self.bigText)", huge, "db A 198.51.100.7"], allow: ["laptop-1"], serviceCommonName: nil
            )
            let server = try await scope.startServer(state: fixture.paths.directory)
            let work = try scope.temporaryDirectory("large")
            let config = try writeAgentConfig(
                in: work, certificate: laptop.certificatePath, key: laptop.keyPath, ca: fixture.caPath, serverPorts: [server.dotPort], upstreamTimeoutSeconds: 3
            )
            let agent = try await scope.startAgent(config: config)
            return Setup(fixture: fixture, server: server, agent: agent, laptop: laptop)
        }

        @Test("a 3000-byte TXT is truncated (TC) over UDP and whole over TCP")
        func truncationAndTCPRetry() async throws {
            try await TestScope.run { scope in
                let setup = try await Self.setUp(scope)
                let port = setup.agent.udpPort

                // dig advertises 1232 bytes: the answer cannot fit, TC must be set.
                let udp = try await Dig.query("big.internal.corp", type: "TXT", server: port, options: ["+ignore"])
                #expect(udp.responseCode == "NOERROR", "UDP: \(udp)")
                #expect(udp.flags.contains("tc"), "UDP answer without TC: \(udp)")
                #expect(!udp.output.contains(String(Self.bigText.prefix(255))), "a truncated answer must not carry a partial record: \(udp)")
                #expect(udp.output.contains("(UDP)"), "\(udp)")

                // Without EDNS the limit is 512 bytes: TC again.
                let plain = try await Dig.query("big.internal.corp", type: "TXT", server: port, options: ["+ignore", "+noedns"])
                #expect(plain.flags.contains("tc"), "no-EDNS UDP answer without TC: \(plain)")

                // With a 4096-byte EDNS buffer it fits in one datagram, whole and without TC.
                let roomy = try await Dig.query("big.internal.corp", type: "TXT", server: port, options: ["+ignore", "+bufsize=4096"])
                #expect(!roomy.flags.contains("tc"), "4096-byte buffer: \(roomy)")
                #expect(roomy.answers.first?.txtStrings.joined() == Self.bigText, "4096-byte buffer: \(roomy)")

                // The retry over TCP gets the whole record: twelve strings of 255 bytes and one of 195.
                let tcp = try await Dig.query("big.internal.corp", type: "TXT", server: setup.agent.tcpPort, options: ["+tcp"])
                #expect(tcp.responseCode == "NOERROR", "TCP: \(tcp)")
                #expect(!tcp.flags.contains("tc"), "TCP: \(tcp)")
                #expect(tcp.answers.count == 1, "TCP: \(tcp)")
                let strings = tcp.answers.first?.txtStrings ?? []
                #expect(strings.map(\.utf8.count) == Array(repeating: 255, count: 11) + [195], "string sizes: \(strings.map(\.utf8.count))")
                #expect(strings.joined() == Self.bigText, "TCP answer content differs: \(tcp)")
            }
        }

        @Test("a ~60 KB TXT answer crosses DoT intact (stub over TCP, and kdig over TLS)")
        func sixtyKilobytesOverDoT() async throws {
            try await TestScope.run { scope in
                let setup = try await Self.setUp(scope)

                let viaStub = try await Dig.query("huge.internal.corp", type: "TXT", server: setup.agent.tcpPort, options: ["+tcp"])
                #expect(viaStub.responseCode == "NOERROR", "stub: \(viaStub.description.prefix(1500))")
                #expect(viaStub.answers.count == 1, "stub answers: \(viaStub.answers.count)")
                let stubStrings = viaStub.answers.first?.txtStrings ?? []
                #expect(Self.difference(stubStrings, Self.hugeStrings) == nil, "stub content differs; dig stderr: \(viaStub.standardError.prefix(500))")
                #expect(Self.messageSize(viaStub) ?? 0 > 58_000, "stub message size: \(Self.messageSize(viaStub).map(String.init) ?? "-")")

                let direct = try await Dig.kdigTLS(
                    "huge.internal.corp", type: "TXT", server: setup.server.dotPort, ca: setup.fixture.caPath, hostname: setup.fixture.serverName,
                    certificate: setup.laptop.certificatePath, key: setup.laptop.keyPath
                )
                #expect(direct.responseCode == "NOERROR", "kdig: \(direct.description.prefix(1500))")
                #expect(direct.flags.contains("aa"), "kdig flags: \(direct.flags)")
                #expect(direct.answers.count == 1, "kdig answers: \(direct.answers.count)")
                let directStrings = direct.answers.first?.txtStrings ?? []
                #expect(Self.difference(directStrings, Self.hugeStrings) == nil, "kdig content differs; kdig stderr: \(direct.standardError.prefix(500))")

                // Over UDP the stub can only say "too big": TC, and no partial record.
                let udp = try await Dig.query("huge.internal.corp", type: "TXT", server: setup.agent.udpPort, options: ["+ignore", "+bufsize=4096"])
                #expect(udp.flags.contains("tc"), "UDP: \(udp.description.prefix(1500))")
                #expect(udp.answers.isEmpty, "UDP carried a partial answer: \(udp.answers.count) records")

                // The same connection keeps working for small answers afterwards.
                let small = try await Dig.query("db.internal.corp", server: setup.agent.tcpPort, options: ["+tcp"])
                #expect(small.answers.map(\.data) == ["198.51.100.7"], "after the big answer: \(small)")
            }
        }

        /// Where two lists of TXT strings first differ (nil when equal), short enough to read.
        static func difference(_ got: [String], _ expected: [String]) -> String? {
            if got == expected { return nil }
            guard got.count == expected.count else { return "got \(got.count) strings, expected \(expected.count)" }
            let index = got.indices.first { got[$0] != expected[$0] } ?? 0
            return "string \(index) differs: got \(got[index].utf8.count) bytes '\(got[index].prefix(40))…', expected '\(expected[index].prefix(40))…'"
        }

        /// dig's "MSG SIZE  rcvd: N".
        static func messageSize(_ result: DigResult) -> Int? {
            guard let range = result.output.range(of: "MSG SIZE  rcvd: ") else { return nil }
            return Int(result.output[range.upperBound...].prefix { $0.isNumber })
        }
    }
}
