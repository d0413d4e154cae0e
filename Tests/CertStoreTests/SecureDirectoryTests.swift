import CertStore
import Foundation
import Testing

@Suite("SecureDirectory")
struct SecureDirectoryTests {
    @Test("ensure creates nested directories, the last one with the mode asked")
    func createsNested() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let path = scratch.file("a/b/keys")
        try SecureDirectory.ensure(path: path)
        #expect(try scratch.mode(of: "a/b/keys") == 0o700)
        try SecureDirectory.check(path: path)
        // Idempotent.
        try SecureDirectory.ensure(path: path)
        try SecureDirectory.ensure(path: path + "/")
    }

    @Test("ensure tightens an existing directory we own")
    func tightens() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let path = scratch.file("open")
        #expect(mkdir(path, 0o755) == 0)
        #expect(chmod(path, 0o755) == 0)
        let error = #expect(throws: CertStoreError.self) { try SecureDirectory.check(path: path) }
        #expect(error == .insecureDirectoryPermissions(path: path, mode: 0o755))
        #expect(error?.description.contains(path) == true)
        try SecureDirectory.ensure(path: path)
        #expect(try scratch.mode(of: "open") == 0o700)
        try SecureDirectory.check(path: path)
        try SecureDirectory.ensure(path: path, mode: 0o750)
        #expect(try scratch.mode(of: "open") == 0o750)
    }

    @Test("files and missing paths are refused by name")
    func refusesNonDirectories() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let file = try scratch.write("x", to: "file", mode: 0o600)
        #expect(throws: CertStoreError.notADirectory(path: file)) { try SecureDirectory.ensure(path: file) }
        #expect(throws: CertStoreError.notADirectory(path: file)) { try SecureDirectory.check(path: file) }
        #expect(throws: CertStoreError.self) { try SecureDirectory.ensure(path: file + "/sub") }
        let missing = scratch.file("missing")
        let error = #expect(throws: CertStoreError.self) { try SecureDirectory.check(path: missing) }
        #expect(error?.description.contains(missing) == true)
    }
}
