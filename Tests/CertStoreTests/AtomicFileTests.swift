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

    @Test("a read-only directory (when not root) throws and leaves the old file")
    func readOnlyDirectory() throws {
        let scratch = try Scratch()
        defer {
            _ = chmod(scratch.path, 0o700)
            scratch.remove()
        }
        let path = try scratch.write("old", to: "f.txt", mode: 0o644)
        guard geteuid() != 0 else { return }  // root ignores directory permissions
        #expect(chmod(scratch.path, 0o500) == 0)
        #expect(throws: CertStoreError.self) { try AtomicFile.write("new", to: path, mode: 0o644) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old")
        #expect(try scratch.entries() == ["f.txt"])
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
