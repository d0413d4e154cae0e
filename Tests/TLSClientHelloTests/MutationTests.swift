import Testing

@testable import TLSClientHello

/// Randomly damaged captures: the reader never traps, never accepts a bad SNI, and answers
/// consistently for prefixes and for the bytes it says it used.
@Suite("Randomized mutations of real captures")
struct MutationTests {
    /// One random edit of `bytes`.
    private func mutate(_ bytes: inout [UInt8], using generator: inout SeededGenerator) {
        let index = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &generator)
        switch Int.random(in: 0..<7, using: &generator) {
        case 0 where !bytes.isEmpty:  // flip one bit
            bytes[index] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &generator)
        case 1 where !bytes.isEmpty:  // set one byte, often to an interesting value
            let interesting: [UInt8] = [0, 1, 0x2E, 0x2D, 0x30, 0x5F, 0x7F, 0x80, 0xFF]
            bytes[index] = Bool.random(using: &generator)
                ? interesting.randomElement(using: &generator) ?? 0 : UInt8.random(in: 0...255, using: &generator)
        case 2:  // insert a few bytes
            let count = Int.random(in: 1...4, using: &generator)
            bytes.insert(contentsOf: (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }, at: index)
        case 3 where !bytes.isEmpty:  // delete a few bytes
            let end = min(bytes.count, index + Int.random(in: 1...4, using: &generator))
            bytes.removeSubrange(index..<end)
        case 4 where !bytes.isEmpty:  // duplicate a short run
            let end = min(bytes.count, index + Int.random(in: 1...16, using: &generator))
            let run = Array(bytes[index..<end])
            bytes.insert(contentsOf: run, at: end)
        case 5 where bytes.count > 1:  // truncate
            bytes.removeLast(Int.random(in: 1..<bytes.count, using: &generator))
        default:  // nudge a byte up or down (length fields)
            if !bytes.isEmpty { bytes[index] = Bool.random(using: &generator) ? bytes[index] &+ 1 : bytes[index] &- 1 }
        }
    }

    @Test("20,000 mutated captures: no trap, no invalid SNI accepted, consistent answers")
    func mutations() throws {
        let originals = try CaptureFiles.allNames().map { try CaptureFiles.load($0) }
        try #require(!originals.isEmpty)
        var generator = SeededGenerator(seed: 0xC11E_47E1_10)
        var tally = (complete: 0, needMore: 0, invalid: 0)
        for round in 0..<20_000 {
            var bytes = originals[round % originals.count]
            if round % 4 == 1 {
                // Some rounds start from a re-fragmented hello, so record framing gets damaged too.
                let message = Records.payloads(of: bytes)
                bytes = Records.wrapRandomly(message, largest: 64, using: &generator).bytes
            }
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                mutate(&bytes, using: &generator)
            }
            let result = ClientHelloReader.read(bytes)
            switch result {
            case .complete(let info):
                tally.complete += 1
                #expect(info.recordBytes > 0 && info.recordBytes <= bytes.count)
                if let name = info.serverName {
                    #expect(HostNameOracle.isAcceptable(name), "round \(round) accepted SNI \(name)")
                }
                // The bytes it used give the same answer; one fewer needs more data.
                #expect(ClientHelloReader.read(bytes[0..<info.recordBytes]) == result, "round \(round)")
                #expect(ClientHelloReader.read(bytes[0..<(info.recordBytes - 1)]) == .needMoreData, "round \(round)")
            case .needMoreData:
                tally.needMore += 1
            case .invalid:
                tally.invalid += 1
            }
            // A prefix either still needs data or already gives the final answer.
            let cut = Int.random(in: 0...bytes.count, using: &generator)
            let early = ClientHelloReader.read(bytes[0..<cut])
            #expect(early == .needMoreData || early == result, "round \(round): prefix \(cut) gave \(early), whole gave \(result)")
        }
        // The mutations reach every outcome.
        #expect(tally.complete > 1_000)
        #expect(tally.needMore > 1_000)
        #expect(tally.invalid > 1_000)
    }
}
