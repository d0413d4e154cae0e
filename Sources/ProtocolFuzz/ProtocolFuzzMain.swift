import Foundation

#if FUZZING
/// libFuzzer's driver, from its runtime (linked by -sanitize=fuzzer):
/// `int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *, size_t))`.
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// Built with `-sanitize=fuzzer -D FUZZING` (scripts/fuzz.sh protocol): hands the command line
/// to libFuzzer. SwiftPM links every executable target's entry point as `main`, so the entry is
/// ours and calls libFuzzer's driver instead of using libFuzzer's own `main`.
@main
enum ProtocolFuzzMain {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        // A closure, not the @_cdecl function itself: naming that as a C function pointer from
        // another file makes the compiler emit its C symbol twice (duplicate at link time).
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in protocolFuzzTestOneInput(data, size) })
    }
}
#else
/// Without the fuzzer: replays the fuzz entry over files and directories (a corpus, crash
/// reproducers), so a crash can be reproduced and debugged from a normal build:
///
///     swift run ProtocolFuzz Fuzz/corpus/protocol fuzz-artifacts/protocol/crash-...
///     swift run ProtocolFuzz --write-seeds DIR   # the fixed-key seeds (see Fuzz/corpus/protocol)
@main
enum ProtocolFuzzMain {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "--write-seeds", arguments.count == 2 {
            writeSeeds(to: arguments[1])
            return
        }
        guard !arguments.isEmpty, !arguments.contains(where: { $0.hasPrefix("-") }) else {
            print("usage: ProtocolFuzz FILE-OR-DIRECTORY... | --write-seeds DIRECTORY")
            exit(2)
        }
        var count = 0
        for path in arguments {
            for file in files(at: path) {
                guard let data = FileManager.default.contents(atPath: file) else {
                    print("ProtocolFuzz: cannot read \(file)")
                    exit(1)
                }
                let bytes = Array(data)
                _ = bytes.withUnsafeBufferPointer { protocolFuzzTestOneInput($0.baseAddress, $0.count) }
                count += 1
            }
        }
        print("ProtocolFuzz: replayed \(count) input(s), no invariant violated")
    }

    /// `path` itself, or the regular files under it, sorted.
    private static func files(at path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            print("ProtocolFuzz: no such file \(path)")
            exit(1)
        }
        guard isDirectory.boolValue else { return [path] }
        let names = (FileManager.default.enumerator(atPath: path)?.allObjects as? [String]) ?? []
        return names.map { "\(path)/\($0)" }.filter {
            var directory: ObjCBool = false
            return FileManager.default.fileExists(atPath: $0, isDirectory: &directory) && !directory.boolValue
        }.sorted()
    }

    /// Seeds that reach the verifiers' accepting paths with the fixed keys: each template token
    /// whole, and for each template the selector inputs that rebuild it exactly.
    private static func writeSeeds(to directory: String) {
        let templates = protocolFuzzer.templates
        var seeds: [(String, [UInt8])] = []
        for (index, template) in templates.enumerated() {
            let base = UInt8(index) << 3
            seeds.append(("fixed-\(index)-token.jwt", Array(template.token.utf8)))
            seeds.append(("fixed-\(index)-header-json", [base | 0] + template.headerJSON))
            seeds.append(("fixed-\(index)-payload-json", [base | 1] + template.payloadJSON))
            seeds.append(("fixed-\(index)-payload-text", [base | 4] + Array(template.payload.utf8)))
            seeds.append(("fixed-\(index)-signature-text", [base | 5] + Array(template.signature.utf8)))
            seeds.append(("fixed-\(index)-both-json", [base | 7] + template.headerJSON + [0] + template.payloadJSON))
            seeds.append(("fixed-\(index)-claims.json", template.payloadJSON))
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for (name, bytes) in seeds {
                try Data(bytes).write(to: URL(fileURLWithPath: "\(directory)/\(name)"))
            }
        } catch {
            print("ProtocolFuzz: cannot write seeds: \(error)")
            exit(1)
        }
        print("ProtocolFuzz: wrote \(seeds.count) seeds to \(directory)")
    }
}
#endif
