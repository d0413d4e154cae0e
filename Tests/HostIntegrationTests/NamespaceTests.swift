import Foundation
import Testing
import TestSupport
@testable import Agent

#if canImport(Glibc)
import Glibc
#endif

/// Real resolvers in namespaces the tests create (root only; CI runs as root). A missing privilege
/// or tool fails the test with the reason: these tests never pass by skipping.
@Suite("Host integration in private namespaces (real resolv.conf, real systemd-resolved)", .serialized)
struct NamespaceTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let scripts = repository.appendingPathComponent("Tests/HostIntegrationTests/scripts").path

    static func runScript(_ name: String, _ arguments: [String], timeout: Double) throws -> CommandResult {
        try #require(getuid() == 0, "needs root to create namespaces (CI runs the tests as root)")
        return try PosixCommandRunner.run("/bin/bash", ["\(self.scripts)/\(name)"] + arguments, timeoutSeconds: timeout)
    }

    static func hostResolvConf() -> [UInt8]? {
        try? LocalHostEnvironment().readFile("/etc/resolv.conf")
    }

    @Test("direct mode, private /etc/resolv.conf: SIGKILL mid-apply, apply again, revert = byte-identical; apply twice, revert once")
    func directMode() throws {
        let ztagent = try BuiltProducts.executable("ztagent")
        let hostBefore = Self.hostResolvConf()
        let result = try Self.runScript("direct-namespace.sh", [ztagent], timeout: 90)
        #expect(result.status == 0, "\(result.standardOutput)\n\(result.standardError)")
        #expect(result.standardOutput.contains("PASS"))
        #expect(result.standardOutput.components(separatedBy: "\nok: ").count - 1 >= 5, "\(result.standardOutput)")
        #expect(Self.hostResolvConf() == hostBefore, "the host's own /etc/resolv.conf changed")
    }

    @Test("systemd-resolved in a mount+network+PID namespace: resolvectl, dig @127.0.0.53 and getent reach the stub; split DNS; revert restores")
    func systemdResolved() throws {
        let ztagent = try BuiltProducts.executable("ztagent")
        let cache = ProcessInfo.processInfo.environment["ZTAGENT_RESOLVED_CACHE"]
            ?? Self.repository.appendingPathComponent(".build/host-integration-cache").path
        let hostBefore = Self.hostResolvConf()
        let result = try Self.runScript("resolved-namespace.sh", [ztagent, cache], timeout: 180)
        #expect(result.status == 0, "\(result.standardOutput)\n\(result.standardError.suffix(3000))")
        for check in ["resolvectl query of the private name", "dig @127.0.0.53 of the private name", "getent ahostsv4 of the private name",
                      "split DNS: the public name went to the host's upstream", "revert: resolved's link state as before",
                      "dropped link settings detected and re-asserted", "an existing link gets its own settings back"] {
            #expect(result.standardOutput.contains("ok: \(check)"), "missing: \(check)\n\(result.standardOutput)")
        }
        #expect(Self.hostResolvConf() == hostBefore, "the host's own /etc/resolv.conf changed")
    }
}
