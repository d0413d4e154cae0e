import Agent
import Foundation
import Testing

@Suite("systemd-resolved drop-in fallback (in-memory host)")
struct DropInBackendTests {
    func resolvedHostWithoutLinks() -> InMemoryHost {
        let host = HostFixtures.host(resolvConf: nil)
        host.setSymlink("/etc/resolv.conf", to: "../run/systemd/resolve/stub-resolv.conf")
        host.setFile("/run/systemd/resolve/stub-resolv.conf", HostFixtures.resolvedStub)
        host.bus.available = true
        host.addExecutable("/usr/bin/systemctl")
        host.addExecutable("/usr/sbin/ip")
        // No link can be made here (a container without CAP_NET_ADMIN, say).
        host.commandHandler = { executable, arguments, _ in
            if executable.hasSuffix("/ip"), arguments.first == "link", arguments.dropFirst().first == "add" {
                return CommandResult(status: 2, standardError: "RTNETLINK answers: Operation not permitted")
            }
            return CommandResult(status: 0)
        }
        return host
    }

    @Test("per link fails: the drop-in is written, resolved restarted; revert removes it and restarts again")
    func fallbackAndRevert() throws {
        let host = self.resolvedHostWithoutLinks()
        let manager = HostDNSManager(environment: host)
        guard case .applied(let state) = try manager.apply(try HostFixtures.request(stub: "127.0.0.1:5353", domains: ["corp.example"])) else {
            Issue.record("not applied")
            return
        }
        #expect(state.mode == .systemdResolvedDropIn)
        let text = try #require(host.text(ResolvedDropInBackend.path))
        #expect(text.contains("DNS=127.0.0.1:5353"))
        #expect(text.contains("Domains=~corp.example"))
        #expect(host.commandLines.contains("/usr/bin/systemctl restart systemd-resolved"))
        #expect(host.bus.links.isEmpty, "nothing per link is left from the failed attempt")
        #expect(manager.status().intact)

        let restartsBefore = host.commandLines.filter { $0.hasSuffix("restart systemd-resolved") }.count
        try manager.revert()
        #expect(host.text(ResolvedDropInBackend.path) == nil)
        #expect(host.commandLines.filter { $0.hasSuffix("restart systemd-resolved") }.count == restartsBefore + 1)
        #expect(try manager.store.load() == nil)
    }

    @Test("an operator's own drop-in at the same path comes back byte for byte")
    func previousDropInRestored() throws {
        let host = self.resolvedHostWithoutLinks()
        let original = "[Resolve]\nDNS=192.0.2.53\n# the operator's\n"
        host.setFile(ResolvedDropInBackend.path, original, mode: 0o640)
        let manager = HostDNSManager(environment: host)
        try manager.apply(try HostFixtures.request())
        #expect(host.text(ResolvedDropInBackend.path)?.contains("Domains=~.") == true)
        try manager.revert()
        #expect(host.text(ResolvedDropInBackend.path) == original)
        #expect(host.status(ResolvedDropInBackend.path)?.mode == 0o640)
    }

    @Test("a crash before the write: revert restores what was there")
    func crashBeforeWrite() throws {
        let host = self.resolvedHostWithoutLinks()
        host.crashAt = "dns-dropin:before-write"
        let manager = HostDNSManager(environment: host)
        #expect(throws: (any Error).self) { try manager.apply(try HostFixtures.request()) }
        host.crashAt = nil
        try manager.revert()
        #expect(host.text(ResolvedDropInBackend.path) == nil)
        #expect(try manager.store.load() == nil)
    }
}
