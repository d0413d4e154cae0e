/// The fuzzer, made once per process: fixed keys parsed and templates signed.
let protocolFuzzer: ProtocolFuzzer = BlockingWait.run {
    do {
        return try await ProtocolFuzzer.make()
    } catch {
        fatalError("ProtocolFuzz: cannot set up the fixed keys and templates: \(error)")
    }
}

/// libFuzzer's entry point (also what the replay driver runs on each file).
@_cdecl("LLVMFuzzerTestOneInput")
public func protocolFuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes: [UInt8]
    if let data, size > 0 {
        bytes = Array(UnsafeBufferPointer(start: data, count: size))
    } else {
        bytes = []
    }
    let fuzzer = protocolFuzzer
    BlockingWait.run { await fuzzer.run(bytes) }
    return 0
}
