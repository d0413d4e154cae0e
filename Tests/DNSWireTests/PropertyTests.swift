import PropertyBased
import Testing

@testable import DNSWire

@Suite("Property tests")
struct PropertyTests {
    @Test func randomMessagesRoundTrip() async {
        await propertyCheck(count: 500, input: MessageGenerators.messages) { message in
            for compress in [true, false] {
                do {
                    let bytes = try message.serialized(compress: compress)
                    let parsed = try DNSMessage(parsing: bytes)
                    #expect(parsed == message, "compress: \(compress)")
                    #expect(try parsed.serialized(compress: compress) == bytes)
                } catch {
                    Issue.record("round trip failed (compress: \(compress)): \(error)")
                }
            }
            if let compressed = try? message.serialized(), let plain = try? message.serialized(compress: false) {
                #expect(compressed.count <= plain.count)
            }
        }
    }

    @Test func namesRoundTripThroughText() async {
        await propertyCheck(count: 500, input: MessageGenerators.names) { name in
            let text = name.description
            #expect(text.hasSuffix("."))
            #expect(text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F })
            let back = try DNSName(text)
            #expect(back == name)
            #expect(back.labels == name.labels)
            #expect(back.hashValue == name.hashValue)
            #expect(name.lowercased() == name)
            #expect(name.isSubdomain(of: .root))
            if let parent = name.dropFirstLabel() {
                #expect(name.isSubdomain(of: parent))
                #expect(!parent.isSubdomain(of: name))
                #expect(parent < name)
            }
        }
    }

    @Test func fittingInNeverExceedsTheLimitAndSetsTCExactlyWhenCut() async {
        await propertyCheck(count: 300, input: MessageGenerators.messages, Gen.int(in: 0...1500)) { message, requested in
            var message = message
            message.header.isTruncated = false
            let limit = min(max(requested, 512), 65535)
            // Make some messages big enough to need cutting.
            if requested % 3 == 0, let first = message.answers.first {
                message.answers += Array(repeating: first, count: 40)
            }
            let full = try message.serialized()
            let fitted = try message.serialized(fittingIn: requested)
            #expect(fitted.count <= limit)
            let parsed = try DNSMessage(parsing: fitted)
            if full.count <= limit {
                #expect(fitted == full)
                #expect(!parsed.header.isTruncated)
            } else {
                #expect(parsed.header.isTruncated)
                #expect(parsed.answers.isEmpty && parsed.authorities.isEmpty && parsed.additionals.isEmpty)
                #expect(parsed.responseCode == message.responseCode)
            }
        }
    }

    @Test func paddingMakesLengthAMultipleOfTheBlock() async {
        await propertyCheck(count: 300, input: MessageGenerators.messages) { message in
            let padded = try message.serialized(paddingToMultipleOf: 128)
            #expect(padded.count % 128 == 0)
            let parsed = try DNSMessage(parsing: padded)
            let paddings = parsed.edns?.options.filter { $0.code == EDNSOption.paddingCode } ?? []
            #expect(paddings.count == 1)
            #expect(paddings.first?.data.allSatisfy { $0 == 0 } == true)
            #expect(parsed.answers == message.answers)
        }
    }

    @Test func mutatedGoldenPacketsNeverCrash() async throws {
        let packets = try GoldenPackets.allNames().map { try GoldenPackets.load($0) }
        let mutations = Generator<[UInt8], Shrink.None<[UInt8]>>(run: { rng in
            Mutator.mutate(packets[Int.random(in: 0..<packets.count, using: &rng)], &rng)
        })
        await propertyCheck(count: 3000, input: mutations) { bytes in
            Mutator.checkCodecInvariants(bytes)
        }
    }

    @Test func randomBytesNeverCrash() async {
        let garbage = Generator<[UInt8], Shrink.None<[UInt8]>>(run: { rng in
            var bytes = MessageGenerators.bytes(&rng, 0...300)
            if bytes.count >= 12 {
                // Keep counts small so parsing gets past the header more often.
                for index in [4, 6, 8, 10] { bytes[index] = 0 }
                for index in [5, 7, 9, 11] { bytes[index] &= 3 }
            }
            return bytes
        })
        await propertyCheck(count: 3000, input: garbage) { bytes in
            Mutator.checkCodecInvariants(bytes)
        }
    }
}

/// Byte-level mutations and the invariants checked on whatever parses.
enum Mutator {
    static func mutate<R: RandomNumberGenerator>(_ original: [UInt8], _ rng: inout R) -> [UInt8] {
        var bytes = original
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            guard !bytes.isEmpty else { break }
            let index = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<7, using: &rng) {
            case 0: bytes[index] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
            case 1: bytes[index] = UInt8.random(in: 0...255, using: &rng)
            case 2: bytes.remove(at: index)
            case 3: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: index)
            case 4: bytes = Array(bytes.prefix(index))
            case 5: bytes[index] = 0xC0 | UInt8.random(in: 0...0x3F, using: &rng)
            default: if index + 1 < bytes.count { bytes[index + 1] = UInt8.random(in: 0...255, using: &rng); bytes[index] = 0xC0 }
            }
        }
        return bytes
    }

    /// Parsing must not trap; whatever parses must round-trip stably.
    static func checkCodecInvariants(_ bytes: [UInt8]) {
        guard let message = try? DNSMessage(parsing: bytes) else { return }
        for compress in [true, false] {
            do {
                let encoded = try message.serialized(compress: compress)
                let reparsed = try DNSMessage(parsing: encoded)
                #expect(reparsed == message)
                #expect(try reparsed.serialized(compress: compress) == encoded)
            } catch DNSWireError.messageTooLarge {
                continue
            } catch {
                Issue.record("parsed message failed to round-trip: \(error)")
            }
        }
    }
}
