import Foundation
import Testing
import TestSupport
@testable import Agent

/// The installed unit under a real, booted systemd (Debian 12 in systemd-nspawn): `install.sh
/// --token`, `systemctl start ztagent`, the agent as user ztagent, a private name through the host's
/// resolver, `systemctl stop` restoring /etc/resolv.conf. Needs root, systemd-nspawn and debootstrap
/// (scripts/install-deps.sh); a machine where nspawn cannot boot reports the exact error as a known
/// issue instead of passing silently.
@Suite("install.sh --token under a booted systemd (systemd-nspawn)", .serialized)
struct NspawnInstallTests {
    @Test("install --token, systemctl start: active as ztagent, a private name resolves; stop restores resolv.conf")
    func installedUnitRuns() throws {
        let ztagent = try BuiltProducts.executable("ztagent")
        let ztserver = try BuiltProducts.executable("ztserver")
        let result = try NamespaceTests.runScript("nspawn-install.sh", [ztagent, ztserver], timeout: 1_200)
        if result.status == 77 {
            let reason = result.standardOutput.split(separator: "\n").last { $0.hasPrefix("SKIP:") }.map(String.init) ?? result.standardOutput
            print("NspawnInstallTests: \(reason)")
            withKnownIssue("systemd-nspawn cannot boot a container on this machine: \(reason)") {
                Issue.record("\(reason)")
            }
            return
        }
        #expect(result.status == 0, "\(result.standardOutput)\n\(result.standardError.suffix(3000))")
        for check in ["install.sh --token enrolled and installed", "systemctl start ztagent: active", "the agent runs as user ztagent",
                      "the DNS record is root's", "getent hosts of the private name returns the private answer",
                      "systemctl stop ztagent restored /etc/resolv.conf byte for byte"] {
            #expect(result.standardOutput.contains("ok: \(check)"), "missing: \(check)\n\(result.standardOutput)")
        }
    }
}
