import CertStore
import Foundation
import Testing

@Suite struct AtomicFileStaleTests {
    @Test func staleTemporaryFilesAreRemovedAndNothingElse() throws {
        let directory = NSTemporaryDirectory() + "zt-stale-\(UUID().uuidString)"
        try SecureDirectory.ensure(path: directory)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try AtomicFile.write("key", to: directory + "/identity.pem", mode: 0o600)
        // What a write killed between create and rename leaves behind.
        FileManager.default.createFile(atPath: directory + "/.identity.pem.tmp-1a2b3c", contents: Data("PRIVATE KEY".utf8))
        FileManager.default.createFile(atPath: directory + "/.config.jwt.tmp-ffff", contents: Data())
        FileManager.default.createFile(atPath: directory + "/.hidden-but-ours", contents: Data())
        #expect(AtomicFile.removeStaleTemporaryFiles(in: directory) == 2)
        let left = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(left == [".hidden-but-ours", "identity.pem"])
    }
}
