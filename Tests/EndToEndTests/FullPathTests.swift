import Foundation
import Testing
import TestSupport

extension EndToEnd {
    /// dnsmasq (public upstream) <- ztserver run <- ztagent run <- dig, all real processes, the
    /// server's state made with the ztserver CLI as an operator would.
    @Suite("Full path: dig -> ztagent -> ztserver -> dnsmasq")
    struct FullPath {
        @Test("private, hidden and public names over the stub's UDP and TCP, question case kept")
        func fullPath() async throws {
            try await TestScope.run { scope in
                let upstream = try await scope.startDnsmasq()
                let work = try scope.temporaryDirectory("fullpath")
                let state = "\(work)/state"
                let identities = "\(work)/identities"

                try await ztserverCLI([
                    "init", "--state", state, "--server-name", "ztserver.test", "--router-address", "203.0.113.50",
                    "--dot-listen", "127.0.0.1:0", "--upstream", "dns", "--upstream-server", "127.0.0.1:\(upstream.port)",
                ])
                try await ztserverCLI(["endpoint", "issue", "laptop-1", "--state", state, "--out", identities])
                try await ztserverCLI(["endpoint", "issue", "other-host", "--state", state, "--out", identities])
                // A zone laptop-1 may resolve: the apex answers the router, db has its own record.
                try await ztserverCLI([
                    "zone", "add", "internal.corp", "--state", state,
                    "--record", "@ A 203.0.113.50", "--record", "db A 198.51.100.7", "--record", "@ TXT hello-internal",
                    "--allow", "laptop-1",
                ])
                // A zone only other-host may resolve: laptop-1 must not learn it exists.
                try await ztserverCLI([
                    "zone", "add", "secret.corp", "--state", state, "--record", "vault A 198.51.100.99", "--allow", "other-host",
                ])
                let listed = try await ztserverCLI(["zone", "list", "--state", state])
                #expect(listed.contains("internal.corp") && listed.contains("secret.corp"), "zone list: \(listed)")

                let server = try await scope.startServer(state: state)
                let config = try writeAgentConfig(
                    in: identities, certificate: "laptop-1.pem", key: "laptop-1.key", ca: "ca.pem", serverPorts: [server.dotPort]
                )
                let agent = try await scope.startAgent(config: config)

                for transport in [[], ["+tcp"]] as [[String]] {
                    let label = transport.isEmpty ? "UDP" : "TCP"

                    // The zone's own record.
                    let db = try await Dig.query("db.internal.corp", server: agent.port(transport), options: transport)
                    #expect(db.responseCode == "NOERROR", "\(label) db: \(db)")
                    #expect(db.answers.map(\.data) == ["198.51.100.7"], "\(label) db: \(db)")
                    #expect(db.flags.contains("qr") && db.flags.contains("ra"), "\(label) db: \(db)")
                    if transport.isEmpty {
                        #expect(db.output.contains("(UDP)"), "dig must have used UDP: \(db)")
                    } else {
                        #expect(db.output.contains("(TCP)"), "dig must have used TCP: \(db)")
                    }

                    // The apex: the router's address, and a TXT record.
                    let apex = try await Dig.query("internal.corp", server: agent.port(transport), options: transport)
                    #expect(apex.answers.map(\.data) == ["203.0.113.50"], "\(label) apex: \(apex)")
                    let txt = try await Dig.query("internal.corp", type: "TXT", server: agent.port(transport), options: transport)
                    #expect(txt.answers.first?.txtStrings == ["hello-internal"], "\(label) apex TXT: \(txt)")

                    // A nonexistent name in an allowed zone: NXDOMAIN with the zone's SOA.
                    let missing = try await Dig.query("nothere.internal.corp", server: agent.port(transport), options: transport)
                    #expect(missing.responseCode == "NXDOMAIN", "\(label) missing: \(missing)")
                    #expect(missing.answers.isEmpty, "\(label) missing: \(missing)")
                    #expect(missing.flags.contains("aa"), "\(label) missing: authoritative NXDOMAIN expected: \(missing)")
                    #expect(missing.authorities.contains { $0.type == "SOA" && $0.name.lowercased() == "internal.corp." }, "\(label) missing: \(missing)")

                    // A zone laptop-1 is not allowed: answered as a name in no zone (forwarded
                    // to dnsmasq, which knows neither), nothing revealing the zone.
                    let hidden = try await Dig.query("vault.secret.corp", server: agent.port(transport), options: transport)
                    let nowhere = try await Dig.query("vault.nowhere.corp", server: agent.port(transport), options: transport)
                    #expect(hidden.responseCode != nil && hidden.responseCode == nowhere.responseCode, "\(label) hidden: \(hidden)\nnowhere: \(nowhere)")
                    #expect(hidden.flags == nowhere.flags, "\(label) hidden: \(hidden)\nnowhere: \(nowhere)")
                    #expect(hidden.answers.isEmpty, "\(label) hidden: \(hidden)")
                    #expect(hidden.authorities.count == nowhere.authorities.count, "\(label) hidden: \(hidden)\nnowhere: \(nowhere)")
                    #expect(!hidden.flags.contains("aa"), "\(label) hidden: must not look authoritative: \(hidden)")
                    #expect(!hidden.output.contains("198.51.100.99"), "\(label) hidden: \(hidden)")
                    #expect(!hidden.output.lowercased().contains("secret.corp. "), "\(label) hidden zone leaked by a SOA: \(hidden)")

                    // A public name, forwarded to dnsmasq.
                    let publicName = try await Dig.query("www.public.test", server: agent.port(transport), options: transport)
                    #expect(publicName.responseCode == "NOERROR", "\(label) public: \(publicName)")
                    #expect(publicName.answers.map(\.data) == ["192.0.2.10"], "\(label) public: \(publicName)")
                    #expect(publicName.answers.first?.name == "www.public.test.", "\(label) public: \(publicName)")
                }

                // Letter case: a mixed-case question (and the answer's owner) comes back as asked, both on a cache miss
                // (Mixed.Public.Test, never asked) and on a cache hit (Db.Internal.Corp, asked
                // above in lower case).
                for (name, address) in [("Db.Internal.Corp", "198.51.100.7"), ("Mixed.Public.Test", "192.0.2.10")] {
                    for transport in [[], ["+tcp"]] as [[String]] {
                        let result = try await Dig.query(name, server: agent.port(transport), options: transport)
                        #expect(result.question.first?.hasPrefix(";\(name).") == true, "question case \(name): \(result)")
                        #expect(result.answers.map(\.data) == [address], "\(name): \(result)")
                        #expect(result.answers.first?.name == "\(name).", "answer owner case \(name): \(result)")
                        #expect(!result.output.contains("WARNING"), "dig saw a mismatched reply for \(name): \(result)")
                    }
                }

                #expect(agent.process.isRunning && server.process.isRunning && upstream.process.isRunning)
            }
        }
    }
}
