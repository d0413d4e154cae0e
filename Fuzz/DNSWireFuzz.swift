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
