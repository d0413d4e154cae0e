import PropertyBased

@testable import DNSWire
import Testing

/// Random DNS values for property tests. Names are drawn partly from a small pool of suffixes
/// (with random case) so that compression finds matches.
enum MessageGenerators {
    static let suffixes: [[[UInt8]]] = [
        [], [Array("com".utf8)], [Array("example".utf8), Array("com".utf8)], [Array("Example".utf8), Array("ORG".utf8)],
        [Array("in-addr".utf8), Array("arpa".utf8)], [Array("a.b".utf8), Array("weird\\".utf8)],
    ]

    static func label<R: RandomNumberGenerator>(_ rng: inout R) -> [UInt8] {
        let length = Int.random(in: 0..<10, using: &rng) == 0 ? Int.random(in: 1...63, using: &rng) : Int.random(in: 1...8, using: &rng)
        let binary = Int.random(in: 0..<6, using: &rng) == 0
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_".utf8)
        return (0..<length).map { _ in
            binary ? UInt8.random(in: 0...255, using: &rng) : alphabet[Int.random(in: 0..<alphabet.count, using: &rng)]
        }
    }

    static func randomCase<R: RandomNumberGenerator>(_ label: [UInt8], _ rng: inout R) -> [UInt8] {
        label.map { byte in
            let isLetter = (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A
            return isLetter && Bool.random(using: &rng) ? byte ^ 0x20 : byte
        }
    }

    static func name<R: RandomNumberGenerator>(_ rng: inout R) -> DNSName {
        var labels = suffixes[Int.random(in: 0..<suffixes.count, using: &rng)].map { randomCase($0, &rng) }
        let extra = Int.random(in: 0...3, using: &rng)
        for _ in 0..<extra {
            labels.insert(label(&rng), at: 0)
        }
        while labels.reduce(1, { $0 + $1.count + 1 }) > 255 {
            labels.removeFirst()
        }
        do {
            return try DNSName(labels: labels)
        } catch {
            Issue.record("the generator made an invalid name \(labels): \(error)")
            return .root
        }
    }

    static func bytes<R: RandomNumberGenerator>(_ rng: inout R, _ range: ClosedRange<Int>) -> [UInt8] {
        (0..<Int.random(in: range, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    /// Type codes without a dedicated `DNSRecordData` case (and not OPT).
    static let unknownTypes: [UInt16] = [13, 35, 39, 43, 46, 47, 48, 64, 65, 99, 250, 257, 1234, 65280, 65535]

    static func recordData<R: RandomNumberGenerator>(_ rng: inout R) -> DNSRecordData {
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: return .a(IPv4Address(rawValue: UInt32.random(in: 0...UInt32.max, using: &rng)))
        case 1: return .aaaa(IPv6Address(high: UInt64.random(in: 0...UInt64.max, using: &rng), low: UInt64.random(in: 0...3, using: &rng)))
        case 2: return .ns(name(&rng))
        case 3: return .cname(name(&rng))
        case 4: return .ptr(name(&rng))
        case 5:
            return .soa(DNSStartOfAuthority(
                primaryServer: name(&rng), responsibleMailbox: name(&rng),
                serial: UInt32.random(in: 0...UInt32.max, using: &rng), refresh: UInt32.random(in: 0...UInt32.max, using: &rng),
                retry: UInt32.random(in: 0...100, using: &rng), expire: UInt32.random(in: 0...UInt32.max, using: &rng),
                minimum: UInt32.random(in: 0...UInt32.max, using: &rng)))
        case 6: return .mx(preference: UInt16.random(in: 0...UInt16.max, using: &rng), exchange: name(&rng))
        case 7:
            let count = Int.random(in: 1...4, using: &rng)
            return .txt((0..<count).map { _ in bytes(&rng, Int.random(in: 0..<8, using: &rng) == 0 ? 200...255 : 0...20) })
        case 8:
            return .srv(
                priority: UInt16.random(in: 0...UInt16.max, using: &rng), weight: UInt16.random(in: 0...UInt16.max, using: &rng),
                port: UInt16.random(in: 0...UInt16.max, using: &rng), target: name(&rng))
        default:
            let type = DNSRecordType(rawValue: unknownTypes[Int.random(in: 0..<unknownTypes.count, using: &rng)])
            return .unknown(type: type, bytes: bytes(&rng, 0...40))
        }
    }

    static let classes: [DNSClass] = [.internet, .internet, .internet, .chaos, .hesiod, .none, .any, DNSClass(rawValue: 1000)]

    static func record<R: RandomNumberGenerator>(_ rng: inout R) -> DNSResourceRecord {
        DNSResourceRecord(
            name: name(&rng), recordClass: classes[Int.random(in: 0..<classes.count, using: &rng)],
            ttl: UInt32.random(in: 0...UInt32.max, using: &rng), data: recordData(&rng))
    }

    static func edns<R: RandomNumberGenerator>(_ rng: inout R) -> EDNSRecord {
        var edns = EDNSRecord(udpPayloadSize: UInt16.random(in: 0...UInt16.max, using: &rng), dnssecOK: Bool.random(using: &rng))
        edns.version = Int.random(in: 0..<4, using: &rng) == 0 ? UInt8.random(in: 0...255, using: &rng) : 0
        edns.extendedResponseCodeHigh = Int.random(in: 0..<3, using: &rng) == 0 ? UInt8.random(in: 0...255, using: &rng) : 0
        edns.flagsRemainder = Int.random(in: 0..<4, using: &rng) == 0 ? UInt16.random(in: 0...0x7FFF, using: &rng) : 0
        edns.options = (0..<Int.random(in: 0...3, using: &rng)).map { _ in
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: return .padding(length: Int.random(in: 0...64, using: &rng))
            case 1: return .tcpKeepalive(timeoutHundredMilliseconds: Bool.random(using: &rng) ? nil : UInt16.random(in: 0...UInt16.max, using: &rng))
            default: return EDNSOption(code: UInt16.random(in: 0...UInt16.max, using: &rng), data: bytes(&rng, 0...24))
            }
        }
        return edns
    }

    static func message<R: RandomNumberGenerator>(_ rng: inout R) -> DNSMessage {
        let header = DNSHeader(
            id: UInt16.random(in: 0...UInt16.max, using: &rng), isResponse: Bool.random(using: &rng),
            opcode: DNSOpcode(rawValue: UInt8.random(in: 0...15, using: &rng)), isAuthoritative: Bool.random(using: &rng),
            isTruncated: Int.random(in: 0..<8, using: &rng) == 0, recursionDesired: Bool.random(using: &rng),
            recursionAvailable: Bool.random(using: &rng), authenticData: Bool.random(using: &rng),
            checkingDisabled: Bool.random(using: &rng), responseCodeLow: UInt8.random(in: 0...15, using: &rng))
        func records(_ max: Int, _ rng: inout R) -> [DNSResourceRecord] {
            (0..<Int.random(in: 0...max, using: &rng)).map { _ in record(&rng) }
        }
        let questions = (0..<Int.random(in: 0...2, using: &rng)).map { _ in
            DNSQuestion(
                name: name(&rng), type: DNSRecordType(rawValue: UInt16.random(in: 0...300, using: &rng)),
                questionClass: classes[Int.random(in: 0..<classes.count, using: &rng)])
        }
        return DNSMessage(
            header: header, questions: questions, answers: records(6, &rng), authorities: records(3, &rng),
            additionals: records(3, &rng), edns: Bool.random(using: &rng) ? edns(&rng) : nil)
    }

    /// Property-test generators.
    static let messages = Generator<DNSMessage, Shrink.None<DNSMessage>>(run: { rng in message(&rng) })
    static let names = Generator<DNSName, Shrink.None<DNSName>>(run: { rng in name(&rng) })
    static let seeds = Gen.uint64(in: 0...UInt64.max)
}
