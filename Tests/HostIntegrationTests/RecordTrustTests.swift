import Foundation
import Testing
@testable import Agent

/// Root (`dns apply`/`dns revert` under systemd's `+`) never acts on what the unprivileged agent can
/// write: a record in the agent's directory is ignored, and a record in root's directory is refused
/// unless it is root's and every field is one the agent would have written (in-memory host).
@Suite("Root never trusts a record the agent can write (in-memory host)")
struct RecordTrustTests {
    static let rootRecord = "/var/lib/ztagent-root/dns-state.json"
    static let agentRecord = "/var/lib/ztagent/dns-state.json"

    /// A host with resolvconf, `ip` and systemctl, a plain resolv.conf, and both directories.
    func host() -> InMemoryHost {
        let host = HostFixtures.withIPLinks(HostFixtures.host(), zt0Exists: true)
        host.addExecutable("/sbin/resolvconf")
        host.addExecutable("/usr/bin/systemctl")
        host.setDirectory("/var/lib/ztagent", mode: 0o700, uid: 999)
        host.setDirectory("/var/lib/ztagent-root", mode: 0o755, uid: 0)
        return host
    }

    static func encode(_ state: DNSIntegrationState) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(state), as: UTF8.self) + "\n"
    }

    static func applied(_ mode: ResolverMode) throws -> DNSIntegrationState {
        var state = DNSIntegrationState(mode: mode, request: try HostFixtures.request(), now: 1_000)
        state.phase = .applied
        return state
    }

    /// The tampered records, each with the field its refusal must name.
    static func tampered() throws -> [(field: String, state: DNSIntegrationState)] {
        let sum = String(repeating: "a", count: 64)
        var program = try Self.applied(.resolvconf)
        program.resolvconf = .init(program: "/var/lib/ztagent/payload", interface: "lo.ztagent", originalNameservers: [])
        var dropIn = try Self.applied(.systemdResolvedDropIn)
        dropIn.dropIn = .init(path: "/etc/cron.d/ztagent", previousContents: Data("* * * * * root /var/lib/ztagent/payload\n".utf8).base64EncodedString(),
                              previousMode: 0o644, writtenSHA256: sum)
        var traversal = try Self.applied(.systemdResolvedDropIn)
        traversal.dropIn = .init(path: "/etc/systemd/resolved.conf.d/../../../etc/sudoers.d/ztagent", previousContents: nil, previousMode: nil, writtenSHA256: sum)
        var setuid = try Self.applied(.direct)
        setuid.direct = .init(path: "/etc/resolv.conf", backupPath: "/var/lib/ztagent-root/dns-resolv.conf.orig",
                              original: .init(kind: "regular", symlinkTarget: nil, sha256: sum, mode: 0o4755, uid: 0, gid: 0, nameservers: []),
                              writtenSHA256: sum)
        var arbitraryPath = setuid
        arbitraryPath.direct?.original.mode = 0o644
        arbitraryPath.direct?.path = "/usr/local/bin/ztagent"
        var backup = arbitraryPath
        backup.direct?.path = "/etc/resolv.conf"
        backup.direct?.backupPath = "/var/lib/ztagent/dns-resolv.conf.orig"
        var link = try Self.applied(.systemdResolved)
        link.resolved = .init(linkName: "eth0", ifindex: 2, createdLink: true, previous: nil,
                              applied: SystemdResolvedBackend.desiredSettings(link.request))
        link.request.linkName = "eth0"
        var foreignLink = try Self.applied(.systemdResolved)
        foreignLink.resolved = .init(linkName: "eth0", ifindex: 2, createdLink: true, previous: nil,
                                     applied: SystemdResolvedBackend.desiredSettings(foreignLink.request))
        var injection = try Self.applied(.systemdResolvedDropIn)
        injection.request.domains = ["corp.example\n[Resolve]\nDNS=203.0.113.9"]
        injection.dropIn = .init(path: ResolvedDropInBackend.path, previousContents: nil, previousMode: nil, writtenSHA256: sum)
        return [
            ("resolvconf.program", program), ("dropIn.path", dropIn), ("dropIn.path", traversal),
            ("direct.original.mode", setuid), ("direct.path", arbitraryPath), ("direct.backupPath", backup),
            ("request.linkName", link), ("resolved.linkName", foreignLink), ("request.domains", injection),
        ]
    }

    static func refusedField(_ body: () throws -> Void) -> String? {
        do {
            try body()
        } catch let HostDNSError.untrustedRecord(field, _) {
            return field
        } catch {
            return "other error: \(error)"
        }
        return nil
    }

    @Test("a tampered record in root's directory: revert, apply and check refuse it naming the field; nothing runs, nothing is written")
    func tamperedFieldsAreRefused() throws {
        for (field, state) in try Self.tampered() {
            let host = self.host()
            let record = try Self.encode(state)
            host.setFile(Self.rootRecord, record)
            // Also where earlier versions read it from: a fix that only moved the file would run it there.
            host.setFile(Self.agentRecord, record)
            host.setOwner(Self.agentRecord, uid: 999)
            let before = host.snapshot
            let manager = HostDNSManager(environment: host)
            #expect(Self.refusedField { _ = try manager.revert() } == field, "revert of a record with a bad \(field)")
            #expect(Self.refusedField { _ = try manager.apply(try HostFixtures.request()) } == field, "apply over a record with a bad \(field)")
            #expect(Self.refusedField { _ = try manager.check() } == field, "check of a record with a bad \(field)")
            #expect(host.commands.isEmpty, "\(field): ran \(host.commandLines)")
            #expect(host.snapshot == before, "\(field): the host changed")
            #expect(manager.status().applied == false, "\(field): status took the record")
        }
    }

    @Test("a refusal says which field and that nothing was done")
    func refusalText() throws {
        let host = self.host()
        let (_, state) = try #require(try Self.tampered().first)
        host.setFile(Self.rootRecord, try Self.encode(state))
        #expect(throws: HostDNSError.self) { try HostDNSManager(environment: host).revert() }
        do {
            try HostDNSManager(environment: host).revert()
        } catch {
            #expect("\(error)".contains("resolvconf.program"))
            #expect("\(error)".contains("/var/lib/ztagent/payload"))
            #expect("\(error)".contains("nothing was run or written"))
        }
    }

    @Test("a record in the agent's own directory is ignored: nothing runs, nothing is written")
    func agentWritableRecordIsIgnored() throws {
        for (_, state) in try Self.tampered() {
            let host = self.host()
            host.setFile(Self.agentRecord, try Self.encode(state))
            host.setOwner(Self.agentRecord, uid: 999)
            let before = host.snapshot
            let notes = try HostDNSManager(environment: host).revert()
            #expect(notes.first == "nothing applied")
            #expect(notes.contains { $0.contains("ignored \(Self.agentRecord)") })
            #expect(host.commands.isEmpty, "ran \(host.commandLines)")
            #expect(host.snapshot == before)
        }
    }

    @Test("as root, a record file or directory that is not root's, or is group/other-writable, or a symlink, is refused")
    func ownershipAndModes() throws {
        let good = try Self.encode(try Self.applied(.resolvconf).with { $0.resolvconf = .init(program: "/sbin/resolvconf", interface: "lo.ztagent", originalNameservers: []) })
        let cases: [(String, (InMemoryHost) -> Void)] = [
            ("record file", { $0.setOwner(Self.rootRecord, uid: 999) }),
            ("record file", { $0.setFile(Self.rootRecord, good, mode: 0o666) }),
            ("record file", { $0.setFile(Self.rootRecord, good, mode: 0o664) }),
            ("record file", { host in host.setFile("/var/lib/ztagent/x.json", good); host.setSymlink(Self.rootRecord, to: "/var/lib/ztagent/x.json") }),
            ("record directory", { $0.setDirectory("/var/lib/ztagent-root", mode: 0o755, uid: 999) }),
            ("record directory", { $0.setDirectory("/var/lib/ztagent-root", mode: 0o777, uid: 0) }),
            ("record directory", { $0.setDirectory("/var/lib/ztagent-root", mode: 0o775, uid: 0) }),
        ]
        for (field, tamper) in cases {
            let host = self.host()
            host.setFile(Self.rootRecord, good)
            tamper(host)
            let before = host.snapshot
            let manager = HostDNSManager(environment: host)
            #expect(Self.refusedField { _ = try manager.revert() } == field)
            #expect(Self.refusedField { _ = try manager.apply(try HostFixtures.request(), mode: .direct) } == field)
            #expect(host.commands.isEmpty, "ran \(host.commandLines)")
            #expect(host.snapshot == before)
        }
        // The same, untampered record is used (the checks are not refusing everything).
        let host = self.host()
        host.setFile(Self.rootRecord, good)
        _ = try HostDNSManager(environment: host).revert()
        #expect(host.commandLines == ["/sbin/resolvconf -d lo.ztagent -f"])
    }

    @Test("a record naming another link is used when the operator names that link (--link)")
    func operatorLink() throws {
        let host = self.host()
        var state = try Self.applied(.systemdResolved)
        state.request.linkName = "corp0"
        state.resolved = .init(linkName: "corp0", ifindex: nil, createdLink: false, previous: nil, applied: SystemdResolvedBackend.desiredSettings(state.request))
        host.setFile(Self.rootRecord, try Self.encode(state))
        #expect(Self.refusedField { _ = try HostDNSManager(environment: host).revert() } == "request.linkName")
        _ = try HostDNSManager(environment: host, linkNames: ["zt0", "corp0"]).revert()
        #expect(host.node(Self.rootRecord) == nil)
    }
}

extension DNSIntegrationState {
    /// A copy changed by `change`.
    func with(_ change: (inout DNSIntegrationState) -> Void) -> DNSIntegrationState {
        var copy = self
        change(&copy)
        return copy
    }
}
