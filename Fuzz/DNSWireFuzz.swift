// libFuzzer entry point for the DNSWire codec. Built by scripts/fuzz.sh together with
// Sources/DNSWire/*.swift as one module:
//   swiftc -sanitize=fuzzer,address -parse-as-library -O Sources/DNSWire/*.swift Fuzz/DNSWireFuzz.swift
//
// Parsing arbitrary bytes must never trap. When a parse succeeds, the message must serialize
// (compressed and uncompressed), re-parse to an equal message, and re-serialize to the same
// bytes. Those are codec invariants; only their violation traps here.

/// Traps with a message; used only for real invariant violations.
private func violation(_ what: String, _ bytes: [UInt8]) -> Never {
    fatalError("DNSWire invariant violated: \(what) (input \(bytes.count) bytes)")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func dnsWireFuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes: [UInt8]
    if let data, size > 0 {
        bytes = Array(UnsafeBufferPointer(start: data, count: size))
    } else {
        bytes = []
    }
    _ = try? DNSHeader(parsing: bytes)
    // The compact reader never accepts what the full parser refuses, and agrees with it.
    if let compact = CompactQuery(bytes) {
        guard let full = try? DNSMessage(parsing: bytes) else { violation("CompactQuery accepted what the parser refuses", bytes) }
        guard full.questions.count == 1, full.questions[0].name == compact.name, full.questions[0].type == compact.type,
              full.questions[0].questionClass == compact.recordClass, full.header.id == compact.id,
              (full.edns == nil) == (compact.edns == nil), full.edns?.dnssecOK == compact.edns?.dnssecOK,
              full.edns?.udpPayloadSize == compact.edns?.payloadSize
        else { violation("CompactQuery and the parser disagree", bytes) }
    }
    let message: DNSMessage
    do {
        message = try DNSMessage(parsing: bytes)
    } catch {
        return 0
    }

    for compress in [true, false] {
        let encoded: [UInt8]
        do {
            encoded = try message.serialized(compress: compress)
        } catch .messageTooLarge {
            // Possible: the input's compression may be denser than ours.
            continue
        } catch {
            violation("serializing a parsed message failed: \(error)", bytes)
        }
        let reparsed: DNSMessage
        do {
            reparsed = try DNSMessage(parsing: encoded)
        } catch {
            violation("re-parsing our own output failed: \(error)", bytes)
        }
        if reparsed != message {
            violation("parse(serialize(m)) != m (compress: \(compress))", bytes)
        }
        guard let again = try? reparsed.serialized(compress: compress), again == encoded else {
            violation("serialization is not stable (compress: \(compress))", bytes)
        }
    }

    // TTL offsets of our own encoding: one per non-OPT record, each holding that record's TTL.
    if let encoded = try? message.serialized() {
        let records = message.answers + message.authorities + message.additionals
        guard let offsets = DNSWireLayout.ttlOffsets(in: encoded), offsets.count == records.count else {
            violation("ttlOffsets does not walk our own encoding", bytes)
        }
        for (offset, record) in zip(offsets, records) {
            let ttl = UInt32(encoded[offset]) << 24 | UInt32(encoded[offset + 1]) << 16 | UInt32(encoded[offset + 2]) << 8 | UInt32(encoded[offset + 3])
            if ttl != record.ttl { violation("ttlOffsets points at \(ttl), not \(record.ttl)", bytes) }
        }
    }

    // Truncation for UDP never exceeds the limit and always parses.
    for limit in [512, 1232] {
        guard let fitted = try? message.serialized(fittingIn: limit) else { continue }
        if fitted.count > limit {
            violation("serialized(fittingIn: \(limit)) produced \(fitted.count) bytes", bytes)
        }
        guard let cut = try? DNSMessage(parsing: fitted) else {
            violation("fitted message does not parse", bytes)
        }
        let full = (try? message.serialized())?.count ?? Int.max
        if cut.header.isTruncated != (message.header.isTruncated || full > limit) {
            violation("TC bit wrong after fitting into \(limit)", bytes)
        }
    }

    // Padding yields a multiple of the block size.
    if let padded = try? message.serialized(paddingToMultipleOf: 128), padded.count % 128 != 0 {
        violation("padding produced \(padded.count) bytes", bytes)
    }

    // Presentation text of every question name parses back to the same name.
    for question in message.questions {
        guard let back = try? DNSName(question.name.description), back == question.name else {
            violation("name text round trip failed for \(question.name)", bytes)
        }
    }
    return 0
}
