import Foundation
import Testing
@testable import Agent

/// The real filesystem code (atomic writes, symlinks, modes) against a scratch root.
@Suite("Direct mode on a real filesystem under a scratch root")
struct ScratchRootTests {
    func scratch() throws -> String {
        let path = NSTemporaryDirectory() + "zt-root-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path + "/etc", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: path + "/run/systemd/resolve", withIntermediateDirectories: true)
        return path
    }

    @Test("a regular file: byte-identical with its mode after revert")
    func regularFile() throws {
        let root = try self.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let original = Array("nameserver 192.0.2.1\r\nsearch a.example\n# trailing comment without newline".utf8)
        FileManager.default.createFile(atPath: root + "/etc/resolv.conf", contents: Data(original), attributes: [.posixPermissions: 0o600])
        let manager = HostDNSManager(environment: LocalHostEnvironment(root: root))
        try manager.apply(try HostFixtures.request())
        let attributes = try FileManager.default.attributesOfItem(atPath: root + "/etc/resolv.conf")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        try manager.revert()
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: root + "/etc/resolv.conf"))) == original)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/etc") == ["resolv.conf"], "a temporary file was left behind")
    }

    @Test("a symlink to resolved's file: restored as the same symlink")
    func symlink() throws {
        let root = try self.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try "nameserver 10.0.0.2\n".write(toFile: root + "/run/systemd/resolve/resolv.conf", atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: root + "/etc/resolv.conf", withDestinationPath: "../run/systemd/resolve/resolv.conf")
        let manager = HostDNSManager(environment: LocalHostEnvironment(root: root))
        try manager.apply(try HostFixtures.request(), mode: .direct)
        #expect(LocalHostEnvironment(root: root).status("/etc/resolv.conf")?.kind == .regular)
        try manager.revert()
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: root + "/etc/resolv.conf") == "../run/systemd/resolve/resolv.conf")
        #expect(try String(contentsOfFile: root + "/run/systemd/resolve/resolv.conf", encoding: .utf8) == "nameserver 10.0.0.2\n")
    }

    @Test("an absolute symlink is followed under the root when reading")
    func absoluteSymlink() throws {
        let root = try self.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try "nameserver 127.0.0.53\n".write(toFile: root + "/run/systemd/resolve/stub-resolv.conf", atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: root + "/etc/resolv.conf", withDestinationPath: "/run/systemd/resolve/stub-resolv.conf")
        let environment = LocalHostEnvironment(root: root)
        #expect(environment.readText("/etc/resolv.conf") == "nameserver 127.0.0.53\n")
    }
}
