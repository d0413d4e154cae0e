import Testing
import TestSupport
@testable import Agent

@Suite("install.sh and uninstall.sh against scratch roots")
struct InstallTests {
    @Test("install then uninstall leaves the tree exactly as before; --keep-identity; refused input changes nothing")
    func roundTrip() throws {
        let ztagent = try BuiltProducts.executable("ztagent")
        let result = try PosixCommandRunner.run("/bin/bash", ["\(NamespaceTests.scripts)/install-roundtrip.sh", ztagent], timeoutSeconds: 120)
        #expect(result.status == 0, "\(result.standardOutput)\n\(result.standardError)")
        for check in ["install created binary", "tree identical", "--keep-identity", "bare root round trip", "refused install/uninstall change nothing", "only the paths install.sh makes"] {
            #expect(result.standardOutput.contains(check), "missing: \(check)\n\(result.standardOutput)")
        }
    }
}
