import Foundation
import Testing
import TestSupport
@testable import Agent

#if canImport(Glibc)
import Glibc
#endif

/// The escalation attempt against real files under a scratch root, with the real `ztagent` binary
/// as root would run it from the unit: a record the agent wrote is ignored, a tampered root record is
/// refused, and the file tree is byte-for-byte the same afterwards (and the payload never ran).
@Suite("Root never trusts a record the agent can write (scratch root, real files, real binary)", .serialized)
struct ScratchRootTrustTests {
    /// One entry per path under the root: type, mode, owner, and content or link target.
    static func tree(_ root: String) throws -> [String: String] {
        var entries: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let relative = enumerator?.nextObject() as? String {
            let path = root + "/" + relative
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            var entry = "mode=\(String(info.st_mode, radix: 8)) uid=\(info.st_uid) gid=\(info.st_gid)"
            switch info.st_mode & S_IFMT {
            case S_IFREG: entry += " data=" + DNSStateStore.sha256(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
            case S_IFLNK: entry += " link=" + (try FileManager.default.destinationOfSymbolicLink(atPath: path))
            default: break
            }
            entries[relative] = entry
        }
        return entries
    }

    struct Scratch {
        let root: String
        let payload: String
        let marker: String
    }

    /// A root with a resolv.conf, the agent's directory (owned by `agentUID` when root), root's
    /// record directory, and a payload script on the real host that would leave a marker if run.
    func scratch() throws -> Scratch {
        let root = NSTemporaryDirectory() + "zt-trust-\(UUID().uuidString.prefix(8))"
        let manager = FileManager.default
        for directory in ["/etc", "/var/lib/ztagent", "/var/lib/ztagent-root", "/bin"] {
            try manager.createDirectory(atPath: root + directory, withIntermediateDirectories: true)
        }
        chmod(root + "/var/lib/ztagent", 0o700)
        chmod(root + "/var/lib/ztagent-root", 0o755)
        try "nameserver 192.0.2.1\nsearch corp.example\n".write(toFile: root + "/etc/resolv.conf", atomically: false, encoding: .utf8)
        let payload = root + "/bin/payload"
        let marker = NSTemporaryDirectory() + "zt-trust-ran-\(UUID().uuidString.prefix(8))"
        try "#!/bin/sh\ntouch \(marker)\n".write(toFile: payload, atomically: false, encoding: .utf8)
        chmod(payload, 0o755)
        if getuid() == 0 { chown(root + "/var/lib/ztagent", 999, 999) }
        return Scratch(root: root, payload: payload, marker: marker)
    }

    static func record(program: String) throws -> String {
        var state = DNSIntegrationState(mode: .resolvconf, request: try HostFixtures.request(), now: 1_000)
        state.phase = .applied
        state.resolvconf = .init(program: program, interface: "lo.ztagent", originalNameservers: ["192.0.2.1"])
        return try RecordTrustTests.encode(state)
    }

    static func setuidRecord(root: String) throws -> String {
        var state = DNSIntegrationState(mode: .direct, request: try HostFixtures.request(), now: 1_000)
        state.phase = .applied
        let sum = String(repeating: "b", count: 64)
        state.direct = .init(path: "/etc/resolv.conf", backupPath: "/var/lib/ztagent-root/dns-resolv.conf.orig",
                             original: .init(kind: "regular", symlinkTarget: nil, sha256: sum, mode: 0o4755, uid: 0, gid: 0, nameservers: []),
                             writtenSHA256: sum)
        return try RecordTrustTests.encode(state)
    }

    func write(_ text: String, to path: String, mode: mode_t = 0o644, uid: uid_t? = nil) throws {
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, mode)
        if let uid, getuid() == 0 { chown(path, uid, uid) }
    }

    func runAgent(_ arguments: [String]) throws -> CommandResult {
        try PosixCommandRunner.run(try BuiltProducts.executable("ztagent"), arguments, timeoutSeconds: 30)
    }

    @Test("ztagent dns revert/apply as root ignore a record in the agent's directory: the payload never runs, the tree is unchanged")
    func agentRecordIgnored() throws {
        let scratch = try self.scratch()
        defer { try? FileManager.default.removeItem(atPath: scratch.root); unlink(scratch.marker) }
        try self.write(try Self.record(program: scratch.payload), to: scratch.root + "/var/lib/ztagent/dns-state.json", uid: 999)
        let before = try Self.tree(scratch.root)
        let revert = try self.runAgent(["dns", "revert", "--root", scratch.root, "--state-dir", "/var/lib/ztagent"])
        #expect(revert.status == 0, "\(revert.standardOutput)\(revert.standardError)")
        #expect(revert.standardOutput.contains("nothing applied"), "\(revert.standardOutput)")
        #expect(revert.standardOutput.contains("ignored /var/lib/ztagent/dns-state.json"), "\(revert.standardOutput)")
        #expect(access(scratch.marker, F_OK) != 0, "root ran the program the agent's record named")
        #expect(try Self.tree(scratch.root) == before, "the tree changed")
    }

    @Test("a tampered record in root's directory is refused naming the field: payload not run, tree unchanged")
    func tamperedRootRecordRefused() throws {
        let scratch = try self.scratch()
        defer { try? FileManager.default.removeItem(atPath: scratch.root); unlink(scratch.marker) }
        let cases: [(field: String, text: String)] = [
            ("resolvconf.program", try Self.record(program: scratch.payload)),
            ("direct.original.mode", try Self.setuidRecord(root: scratch.root)),
        ]
        for (field, text) in cases {
            try self.write(text, to: scratch.root + "/var/lib/ztagent-root/dns-state.json")
            let before = try Self.tree(scratch.root)
            for command in [["dns", "revert"], ["dns", "apply", "--mode", "direct"]] {
                let result = try self.runAgent(command + ["--root", scratch.root])
                #expect(result.status != 0, "\(command) accepted a bad \(field): \(result.standardOutput)")
                #expect(result.standardError.contains("DNS record refused: \(field)"), "\(command): \(result.standardError)")
                #expect(access(scratch.marker, F_OK) != 0, "root ran the program the record named")
                #expect(try Self.tree(scratch.root) == before, "\(command) with a bad \(field) changed the tree")
            }
        }
    }

    @Test("as root: a record directory or file the agent owns, a group-writable one, or a symlinked one is refused")
    func ownershipRefused() throws {
        try #require(getuid() == 0, "needs root to own files as another user (CI runs the tests as root)")
        let scratch = try self.scratch()
        defer { try? FileManager.default.removeItem(atPath: scratch.root); unlink(scratch.marker) }
        let directory = scratch.root + "/var/lib/ztagent-root"
        let file = directory + "/dns-state.json"
        let good = try Self.record(program: "/sbin/resolvconf")
        let cases: [(field: String, setUp: () throws -> Void)] = [
            ("record file", { try self.write(good, to: file, uid: 999) }),
            ("record file", { try self.write(good, to: file, mode: 0o664) }),
            ("record file", {
                try self.write(good, to: scratch.root + "/var/lib/ztagent/evil.json", uid: 999)
                try FileManager.default.createSymbolicLink(atPath: file, withDestinationPath: "/var/lib/ztagent/evil.json")
            }),
            ("record directory", { try self.write(good, to: file); chown(directory, 999, 999) }),
            ("record directory", { try self.write(good, to: file); chmod(directory, 0o777) }),
        ]
        for (field, setUp) in cases {
            unlink(file)
            chown(directory, 0, 0)
            chmod(directory, 0o755)
            try setUp()
            let before = try Self.tree(scratch.root)
            for command in [["dns", "revert"], ["dns", "apply", "--mode", "direct"], ["dns", "status"]] {
                let result = try self.runAgent(command + ["--root", scratch.root])
                #expect(result.status != 0, "\(command) accepted a bad \(field)")
                #expect(result.standardError.contains("DNS record refused: \(field)"), "\(command): \(result.standardError)")
                #expect(try Self.tree(scratch.root) == before, "\(command) with a bad \(field) changed the tree")
            }
        }
    }

    @Test("the untampered round trip still works: apply writes root's record (root:root, not group/other-writable), revert restores")
    func roundTrip() throws {
        let scratch = try self.scratch()
        defer { try? FileManager.default.removeItem(atPath: scratch.root); unlink(scratch.marker) }
        let original = try Data(contentsOf: URL(fileURLWithPath: scratch.root + "/etc/resolv.conf"))
        let apply = try self.runAgent(["dns", "apply", "--mode", "direct", "--root", scratch.root])
        #expect(apply.status == 0, "\(apply.standardError)")
        var info = stat()
        #expect(lstat(scratch.root + "/var/lib/ztagent-root/dns-state.json", &info) == 0)
        #expect(info.st_uid == getuid() && info.st_mode & 0o022 == 0)
        #expect(!FileManager.default.fileExists(atPath: scratch.root + "/var/lib/ztagent/dns-state.json"), "the record went to the agent's directory")
        let revert = try self.runAgent(["dns", "revert", "--root", scratch.root])
        #expect(revert.status == 0, "\(revert.standardError)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.root + "/etc/resolv.conf")) == original)
    }
}
