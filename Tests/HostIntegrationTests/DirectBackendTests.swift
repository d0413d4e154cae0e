import Testing
@testable import Agent

@Suite("Direct /etc/resolv.conf backend (in-memory host)")
struct DirectBackendTests {
    let original = HostFixtures.plain

    @Test("apply writes our file with the stub, search and options; revert restores byte for byte and mode")
    func applyRevert() throws {
        let host = HostFixtures.host()
        host.setFile("/etc/resolv.conf", self.original, mode: 0o640)
        let manager = HostDNSManager(environment: host)
        try manager.apply(try HostFixtures.request())
        let written = try #require(host.text("/etc/resolv.conf"))
        let file = ResolvConfFile(text: written)
        #expect(file.isOurs)
        #expect(file.nameservers == ["127.0.0.1"])
        #expect(file.searchLines == ["search corp.local lab.local"])
        #expect(file.optionLines == ["options edns0 trust-ad"])
        #expect(file.recordedOriginalNameservers == ["10.0.0.2", "10.0.0.3"])
        #expect(host.node("/etc/resolv.conf") == .file(Array(written.utf8), mode: 0o640))
        try manager.revert()
        #expect(host.node("/etc/resolv.conf") == .file(Array(self.original.utf8), mode: 0o640))
        #expect(host.node("/var/lib/ztagent-root/dns-state.json") == nil)
        #expect(host.node("/var/lib/ztagent-root/dns-resolv.conf.orig") == nil)
    }

    @Test("apply twice, revert once: the original (the backup was not overwritten)")
    func applyTwiceRevertOnce() throws {
        let host = HostFixtures.host()
        let manager = HostDNSManager(environment: host)
        try manager.apply(try HostFixtures.request())
        try manager.apply(try HostFixtures.request())
        #expect(host.text("/var/lib/ztagent-root/dns-resolv.conf.orig") == self.original)
        try manager.revert()
        #expect(host.text("/etc/resolv.conf") == self.original)
    }

    @Test("a missing resolv.conf is missing again after revert")
    func missingFile() throws {
        let host = HostFixtures.host(resolvConf: nil)
        let manager = HostDNSManager(environment: host)
        try manager.apply(try HostFixtures.request())
        #expect(host.text("/etc/resolv.conf")?.contains("nameserver 127.0.0.1") == true)
        try manager.revert()
        #expect(host.node("/etc/resolv.conf") == nil)
    }

    @Test("crash at every step of apply, apply again, revert: original, one backup", arguments: ["dns-apply:after-backup", "dns-apply:after-state", "dns-apply:after-write"])
    func crashThenApplyAgain(point: String) throws {
        let host = HostFixtures.host()
        let manager = HostDNSManager(environment: host)
        host.crashAt = point
        #expect(throws: HostDNSError.simulatedCrash(point)) { try manager.apply(try HostFixtures.request()) }
        try manager.apply(try HostFixtures.request())
        #expect(ResolvConfFile(text: host.text("/etc/resolv.conf") ?? "").isOurs)
        #expect(host.text("/var/lib/ztagent-root/dns-resolv.conf.orig") == self.original)
        try manager.revert()
        #expect(host.text("/etc/resolv.conf") == self.original)
    }

    @Test("crash at every step of apply, then revert at once: original", arguments: ["dns-apply:after-backup", "dns-apply:after-state", "dns-apply:after-write"])
    func crashThenRevert(point: String) throws {
        let host = HostFixtures.host()
        let manager = HostDNSManager(environment: host)
        host.crashAt = point
        #expect(throws: HostDNSError.simulatedCrash(point)) { try manager.apply(try HostFixtures.request()) }
        try manager.revert()
        #expect(host.text("/etc/resolv.conf") == self.original)
    }

    @Test("crash during revert, revert again: original")
    func crashDuringRevert() throws {
        let host = HostFixtures.host()
        let manager = HostDNSManager(environment: host)
        try manager.apply(try HostFixtures.request())
        host.crashAt = "dns-revert:after-restore"
        #expect(throws: HostDNSError.self) { try manager.revert() }
        try manager.revert()
        #expect(host.text("/etc/resolv.conf") == self.original)
        #expect(host.node("/var/lib/ztagent-root/dns-state.json") == nil)
    }

    @Test("a failed write of resolv.conf leaves the old file intact and revert still works")
    func failedWrite() throws {
        let host = HostFixtures.host()
        let manager = HostDNSManager(environment: host)
        host.failingWrites = ["/etc/resolv.conf"]
        #expect(throws: HostDNSError.self) { try manager.apply(try HostFixtures.request()) }
        #expect(host.text("/etc/resolv.conf") == self.original)
        try manager.revert()
        #expect(host.text("/etc/resolv.conf") == self.original)
    }

    @Test("bad input is refused and changes nothing", arguments: ["127.0.0.1:5353", "resolver.example:53", "127.0.0.1:0", "not an address"])
    func badStub(stub: String) throws {
        let host = HostFixtures.host()
        let before = host.snapshot
        let manager = HostDNSManager(environment: host)
        #expect(throws: HostDNSError.self) { try manager.apply(try HostFixtures.request(stub: stub), mode: .direct) }
        #expect(host.snapshot == before)
    }

    @Test("bad domains are refused", arguments: ["", ".", "corp..example", "bad domain", "~"])
    func badDomain(domain: String) {
        #expect(throws: HostDNSError.self) { _ = try HostFixtures.request(domains: [domain]) }
    }

    @Test("an unreadable state file is an error, never a reason to take a second backup")
    func unreadableState() throws {
        let host = HostFixtures.host()
        let manager = HostDNSManager(environment: host)
        try manager.apply(try HostFixtures.request())
        host.setFile("/var/lib/ztagent-root/dns-state.json", "{ truncated")
        let before = host.snapshot
        #expect(throws: HostDNSError.self) { try manager.apply(try HostFixtures.request()) }
        #expect(host.snapshot == before)
    }

    @Test("check re-asserts an overwritten file, at most 3 times per window, then gives up")
    func reassertLimit() throws {
        let host = HostFixtures.host()
        let manager = HostDNSManager(environment: host)
        try manager.apply(try HostFixtures.request())
        #expect(try manager.check() == .intact)
        for round in 0..<3 {
            host.setFile("/etc/resolv.conf", "# Generated by dhclient\nnameserver 10.9.0.\(round)\n")
            #expect(try manager.check() == .reasserted)
            #expect(ResolvConfFile(text: host.text("/etc/resolv.conf") ?? "").isOurs)
        }
        host.setFile("/etc/resolv.conf", "# Generated by dhclient\nnameserver 10.9.0.9\n")
        guard case .gaveUp = try manager.check() else { Issue.record("expected gaveUp"); return }
        #expect(host.text("/etc/resolv.conf") == "# Generated by dhclient\nnameserver 10.9.0.9\n")
        #expect(manager.status().intact == false)
    }
}
