import CertStore
import Foundation
import Testing

@Suite("AtomicFile")
struct AtomicFileTests {
    @Test("content and mode are exactly as asked, whatever the umask and the old mode")
    func contentAndMode() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let path = scratch.file("a.txt")
        try AtomicFile.write("hello\n", to: path, mode: 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "hello\n")
        #expect(try scratch.mode(of: "a.txt") == 0o600)

        // The umask (usually 022) does not narrow the mode: fchmod sets it exactly.
        try AtomicFile.write([0, 1, 2, 255], to: path, mode: 0o666)
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: path))) == [0, 1, 2, 255])
        #expect(try scratch.mode(of: "a.txt") == 0o666)

        // Replacing a wide file with a private one narrows it.
        try AtomicFile.write("secret", to: path, mode: 0o600)
        #expect(try scratch.mode(of: "a.txt") == 0o600)

        // Empty and large contents.
        try AtomicFile.write([], to: path, mode: 0o644)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).isEmpty)
        let big = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try AtomicFile.write(big, to: path, mode: 0o644)
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: path))) == big)
        #expect(try scratch.entries() == ["a.txt"])
    }

    @Test("a failing rename (target is a directory) throws, leaves everything intact and no temp file")
    func renameFails() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let old = try scratch.write("old content", to: "old.txt", mode: 0o644)
        let target = scratch.file("target")
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
        try AtomicFile.write("inside", to: target + "/inner.txt", mode: 0o644)

        let error = #expect(throws: CertStoreError.self) {
            try AtomicFile.write("new", to: target, mode: 0o600)
        }
        #expect(error?.description.contains(target) == true)
        #expect(try String(contentsOfFile: target + "/inner.txt", encoding: .utf8) == "inside")
        #expect(try String(contentsOfFile: old, encoding: .utf8) == "old content")
        #expect(try scratch.entries() == ["old.txt", "target"])
    }

    @Test("a missing parent directory throws and creates nothing")
    func missingParent() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let path = scratch.file("no/such/dir/file.key")
        let error = #expect(throws: CertStoreError.self) {
            try AtomicFile.write("x", to: path, mode: 0o600)
        }
        #expect(error?.description.contains(path) == true)
        #expect(try scratch.entries().isEmpty)
    }

    @Test("a directory the writer cannot write to throws and leaves the old file (as root: an immutable directory)")
    func readOnlyDirectory() throws {
        let scratch = try Scratch()
        let asRoot = geteuid() == 0
        defer {
            if asRoot { _ = try? Self.chattr("-i", scratch.path) }
            _ = chmod(scratch.path, 0o700)
            scratch.remove()
        }
        let path = try scratch.write("old", to: "f.txt", mode: 0o644)
        if asRoot {
            // Root ignores permission bits, but not the immutable attribute: no entry can be created,
            // renamed or removed in the directory, so the temporary file cannot even be made.
            let status = try Self.chattr("+i", scratch.path)
            try #require(status == 0, "chattr +i \(scratch.path) failed (exit \(status)): the filesystem under \(NSTemporaryDirectory()) must support the immutable attribute for this test to check anything as root")
        } else {
            #expect(chmod(scratch.path, 0o500) == 0)
        }
        #expect(throws: CertStoreError.self) { try AtomicFile.write("new", to: path, mode: 0o644) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old")
        #expect(try scratch.entries() == ["f.txt"])
    }

    @Test("a file where the parent directory should be throws, also as root, and changes nothing")
    func fileAsParent() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let blocker = try scratch.write("a file, not a directory", to: "parent", mode: 0o644)
        #expect(throws: CertStoreError.self) { try AtomicFile.write("x", to: blocker + "/child.key", mode: 0o600) }
        #expect(try String(contentsOfFile: blocker, encoding: .utf8) == "a file, not a directory")
        #expect(try scratch.entries() == ["parent"])
    }

    /// Runs `chattr FLAG PATH`; its exit status (127 when chattr is missing).
    static func chattr(_ flag: String, _ path: String) throws -> Int32 {
        guard let tool = ["/usr/bin/chattr", "/bin/chattr"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return 127 }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = [flag, path]
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    @Test("relative paths and bad paths")
    func paths() throws {
        #expect(throws: CertStoreError.self) { try AtomicFile.write("x", to: "", mode: 0o600) }
        let scratch = try Scratch()
        defer { scratch.remove() }
        #expect(throws: CertStoreError.self) { try AtomicFile.write("x", to: scratch.path + "/", mode: 0o600) }
        #expect(throws: CertStoreError.self) { try AtomicFile.write("x", to: scratch.path + "/..", mode: 0o600) }
    }

    @Test("concurrent writers never produce a mixed file")
    func concurrentWriters() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let path = scratch.file("shared")
        let contents = (0..<8).map { index in [UInt8](repeating: UInt8(index), count: 65_536) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for content in contents {
                group.addTask {
                    for _ in 0..<5 { try AtomicFile.write(content, to: path, mode: 0o600) }
                }
            }
            try await group.waitForAll()
        }
        let final = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(contents.contains(final))
        #expect(try scratch.entries() == ["shared"])
    }
}
