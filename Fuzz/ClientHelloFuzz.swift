// libFuzzer entry point for the TLS ClientHello reader. Built by scripts/fuzz.sh together with
// Sources/TLSClientHello/*.swift as one module:
//   swiftc -sanitize=fuzzer,address -parse-as-library -O Sources/TLSClientHello/*.swift Fuzz/ClientHelloFuzz.swift
//
// Reading arbitrary bytes must never trap. Beyond that, the invariants that hold for any input:
// - prefix stability: a prefix of the input reads as `.needMoreData` or as exactly the whole
//   input's answer, and a final answer (complete or invalid) survives appended bytes;
// - a complete hello used exactly `recordBytes` bytes: reading only those gives the same answer,
//   one byte fewer needs more data;
// - a complete hello's serverName obeys the SNI rules (checked by an independent statement here);
// - the same handshake message re-cut into other records reads the same, with their recordBytes;
// - the limit is on the handshake message: at its length it passes, one below it is `.tooLarge`.
// Only a violation of these traps here.

/// Traps with a message; used only for real invariant violations.
private func violation(_ what: String, _ bytes: [UInt8]) -> Never {
    fatalError("ClientHello invariant violated: \(what) (input \(bytes.count) bytes)")
}

/// The SNI rules stated independently of the reader: 1...253 bytes, LDH labels of 1...63 bytes
/// with no leading or trailing hyphen, lowercase, last label neither all digits nor 0x + hex.
private func isAcceptableServerName(_ name: String) -> Bool {
    let bytes = Array(name.utf8)
    guard (1...253).contains(bytes.count) else { return false }
    let labels = bytes.split(separator: 0x2E, omittingEmptySubsequences: false)
    for label in labels {
        guard (1...63).contains(label.count), label.first != 0x2D, label.last != 0x2D else { return false }
        for byte in label {
            let ok = (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) || byte == 0x2D
            guard ok else { return false }
        }
    }
    guard let last = labels.last else { return false }
    if last.allSatisfy({ (0x30...0x39).contains($0) }) { return false }
    if last.count >= 2, last[last.startIndex] == 0x30, last[last.startIndex + 1] == 0x78,
        last.dropFirst(2).allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
    {
        return false
    }
    return true
}

/// The handshake bytes carried by the first `length` bytes of well-formed records.
private func handshakePayload(_ bytes: [UInt8], length: Int) -> [UInt8] {
    var out: [UInt8] = []
    var position = 0
    while position + 5 <= length {
        let recordLength = Int(bytes[position + 3]) << 8 | Int(bytes[position + 4])
        let end = min(length, position + 5 + recordLength)
        out += bytes[(position + 5)..<end]
        position = end
    }
    return out
}

/// `message` in handshake records of `size` bytes.
private func records(_ message: [UInt8], size: Int) -> [UInt8] {
    var out: [UInt8] = []
    var start = 0
    while start < message.count {
        let end = min(message.count, start + size)
        out += [22, 3, 3, UInt8((end - start) >> 8), UInt8((end - start) & 0xFF)]
        out += message[start..<end]
        start = end
    }
    return out
}

@_cdecl("LLVMFuzzerTestOneInput")
public func clientHelloFuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes: [UInt8]
    if let data, size > 0 {
        bytes = Array(UnsafeBufferPointer(start: data, count: size))
    } else {
        bytes = []
    }
    let result = ClientHelloReader.read(bytes)

    // Prefix stability, on a spread of cut points (every one for short inputs).
    var cuts: [Int] = bytes.count <= 48 ? Array(0..<bytes.count) : [0, 1, 5, 9, bytes.count / 3, bytes.count / 2, bytes.count - 1]
    var hash = 0
    for byte in bytes.prefix(64) { hash = (hash &* 31 &+ Int(byte)) & 0xFFFF_FFFF }
    if !bytes.isEmpty { cuts.append(hash % bytes.count) }
    for cut in cuts where cut >= 0 && cut < bytes.count {
        let early = ClientHelloReader.read(bytes[0..<cut])
        if early != .needMoreData && early != result {
            violation("prefix of \(cut) bytes gave \(early), the whole \(result)", bytes)
        }
    }
    if result != .needMoreData {
        let longer = ClientHelloReader.read(bytes + [23, 3, 3, 0, 1, 0])
        if longer != result {
            violation("appended bytes changed \(result) into \(longer)", bytes)
        }
    }

    switch result {
    case .needMoreData:
        break
    case .invalid(let error):
        if case .tooLarge(let length) = error, length <= ClientHelloReader.defaultMaximumLength {
            violation("tooLarge(\(length)) within the limit", bytes)
        }
    case .complete(let info):
        guard info.recordBytes > 5, info.recordBytes <= bytes.count else {
            violation("recordBytes \(info.recordBytes) out of range", bytes)
        }
        if ClientHelloReader.read(bytes[0..<info.recordBytes]) != result {
            violation("reading exactly recordBytes differs", bytes)
        }
        if ClientHelloReader.read(bytes[0..<(info.recordBytes - 1)]) != .needMoreData {
            violation("one byte short of recordBytes does not need more data", bytes)
        }
        if let name = info.serverName, !isAcceptableServerName(name) {
            violation("accepted serverName \(name.debugDescription)", bytes)
        }
        let message = handshakePayload(bytes, length: info.recordBytes)
        guard message.count >= 4 else { violation("complete with \(message.count) handshake bytes", bytes) }
        let declared = Int(message[1]) << 16 | Int(message[2]) << 8 | Int(message[3])
        if message[0] != 1 || declared + 4 != message.count {
            violation("records hold \(message.count) handshake bytes for a hello of \(declared + 4)", bytes)
        }
        if ClientHelloReader.read(bytes, maximumLength: message.count) != result {
            violation("a limit of exactly the hello's length refused it", bytes)
        }
        if ClientHelloReader.read(bytes, maximumLength: message.count - 1) != .invalid(.tooLarge(message.count)) {
            violation("a limit one below the hello's length did not give tooLarge", bytes)
        }
        for size in [1, 7, 16_384] {
            let recut = records(message, size: size)
            var expected = info
            expected.recordBytes = recut.count
            let again = ClientHelloReader.read(recut)
            if again != .complete(expected) {
                violation("re-cut into \(size)-byte records gave \(again)", bytes)
            }
        }
    }
    return 0
}
