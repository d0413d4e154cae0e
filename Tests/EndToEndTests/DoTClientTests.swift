import CertStore
import Foundation
import Testing
import TestSupport

extension EndToEnd {
    /// Independent DoT clients (Knot's kdig, BIND's dig) against the real `ztserver run` process.
    @Suite("Independent DoT clients against ztserver")
    struct DoTClients {
        /// A running server whose state has a zone `internal.corp` allowed for `laptop-1` and
        /// `revokee`.
        struct Setup {
            let fixture: ServerFixture
            let server: RunningServer
            let laptop: TestPKI.Files
            let revokee: TestPKI.Files
        }

        static func setUp(_ scope: TestScope) async throws -> Setup {
            let fixture = try ServerFixture()
            scope.adopt(directory: fixture.directory)
            let laptop = try fixture.issue("laptop-1")
            // Registered before the server starts: the server only sees endpoints.json changes
            // at its next poll (every second).
            let revokee = try fixture.issue("revokee")
            try fixture.administration.addZone(
                "internal.corp", records: ["db A 198.51.100.7", "@ TXT hi"], allow: ["laptop-1", "revokee", "stranger", "old-host"], serviceCommonName: nil
            )
            let server = try await scope.startServer(state: fixture.paths.directory)
            return Setup(fixture: fixture, server: server, laptop: laptop, revokee: revokee)
        }

        /// Both DoT clients, with the same certificate (or none).
        static func bothClients(_ setup: Setup, certificate: String?, key: String?, name: String = "db.internal.corp") async throws -> [(String, DigResult)] {
            let kdig = try await Dig.kdigTLS(name, server: setup.server.dotPort, ca: setup.fixture.caPath, hostname: setup.fixture.serverName, certificate: certificate, key: key)
            let dig = try await Dig.digTLS(name, server: setup.server.dotPort, ca: setup.fixture.caPath, hostname: setup.fixture.serverName, certificate: certificate, key: key)
            return [("kdig", kdig), ("dig", dig)]
        }

        static func expectAnswered(_ results: [(String, DigResult)], _ context: String, sourceLocation: SourceLocation = #_sourceLocation) {
            for (client, result) in results {
                #expect(result.exitStatus == 0, "\(context) via \(client): \(result)", sourceLocation: sourceLocation)
                #expect(result.responseCode == "NOERROR", "\(context) via \(client): \(result)", sourceLocation: sourceLocation)
                #expect(result.flags.contains("aa"), "\(context) via \(client): \(result)", sourceLocation: sourceLocation)
                #expect(result.answers.map(\.data) == ["198.51.100.7"], "\(context) via \(client): \(result)", sourceLocation: sourceLocation)
            }
        }

        /// Refused: no DNS message came back at all (no header, no answer) and the client failed.
        static func expectRefused(_ results: [(String, DigResult)], _ context: String, sourceLocation: SourceLocation = #_sourceLocation) {
            for (client, result) in results {
                #expect(result.responseCode == nil, "\(context) via \(client) got a DNS reply: \(result)", sourceLocation: sourceLocation)
                #expect(result.answers.isEmpty, "\(context) via \(client): \(result)", sourceLocation: sourceLocation)
                #expect(!result.output.contains("198.51.100.7"), "\(context) via \(client): \(result)", sourceLocation: sourceLocation)
                #expect(result.exitStatus != 0, "\(context) via \(client) exited 0: \(result)", sourceLocation: sourceLocation)
                #expect(result.duration < 10, "\(context) via \(client) took too long: \(result)", sourceLocation: sourceLocation)
            }
        }

        @Test("kdig and dig with a registered, allowed client certificate get the private answer")
        func registeredClientIsAnswered() async throws {
            try await TestScope.run { scope in
                let setup = try await Self.setUp(scope)
                let results = try await Self.bothClients(setup, certificate: setup.laptop.certificatePath, key: setup.laptop.keyPath)
                Self.expectAnswered(results, "registered laptop-1")
                // The TLS session really was TLS 1.3 with our CA (kdig prints the session).
                let kdig = results[0].1
                #expect(kdig.output.contains("TLS1.3"), "kdig session: \(kdig)")
            }
        }

        @Test("no certificate, another CA's certificate, an expired one and an unregistered CN are refused")
        func unauthenticatedClientsAreRefused() async throws {
            try await TestScope.run { scope in
                let setup = try await Self.setUp(scope)
                let work = try scope.temporaryDirectory("dot-refusals")

                Self.expectRefused(try await Self.bothClients(setup, certificate: nil, key: nil), "no client certificate")

                let foreign = try TestPKI.foreignClient("laptop-1", in: "\(work)/foreign")
                Self.expectRefused(try await Self.bothClients(setup, certificate: foreign.certificatePath, key: foreign.keyPath), "laptop-1 from a foreign CA")

                let expired = try setup.fixture.issueExpired("old-host")
                Self.expectRefused(try await Self.bothClients(setup, certificate: expired.certificatePath, key: expired.keyPath), "expired old-host")

                // The right CA, a CN the zone even allows, but never registered as an endpoint.
                let authority = try CertificateAuthority.load(certificatePath: setup.fixture.paths.caCertificate, keyPath: setup.fixture.paths.caKey)
                let keySource = try TestPKI.foreignClient("key-source", in: "\(work)/keys")
                let certificate = try authority.issue(.client(commonName: "stranger", lifetime: 3600), publicKey: keySource.identity.privateKey.publicKey)
                let stranger = try TLSIdentity(certificateChain: [certificate], privateKey: keySource.identity.privateKey)
                try stranger.write(certificatePath: "\(work)/keys/stranger.pem", keyPath: "\(work)/keys/stranger.key")
                Self.expectRefused(try await Self.bothClients(setup, certificate: "\(work)/keys/stranger.pem", key: "\(work)/keys/stranger.key"), "unregistered CN stranger")

                // The server is still serving the legitimate endpoint after all that.
                Self.expectAnswered(try await Self.bothClients(setup, certificate: setup.laptop.certificatePath, key: setup.laptop.keyPath), "laptop-1 after refusals")
                #expect(setup.server.process.isRunning)
                #expect(setup.server.process.standardError.contains("unknown endpoint"), "the refusal of stranger is logged: \(setup.server.process.standardError.suffix(3000))")
            }
        }

        @Test("an endpoint revoked with 'ztserver endpoint revoke' is refused once the server reloads")
        func revokedEndpointIsRefused() async throws {
            try await TestScope.run { scope in
                let setup = try await Self.setUp(scope)
                let revokee = setup.revokee
                Self.expectAnswered(try await Self.bothClients(setup, certificate: revokee.certificatePath, key: revokee.keyPath), "revokee before revocation")
                // An agent with revokee's identity holds a DoT connection open across the revocation.
                let work = try scope.temporaryDirectory("revoke")
                let config = try writeAgentConfig(
                    in: work, certificate: revokee.certificatePath, key: revokee.keyPath, ca: setup.fixture.caPath, serverPorts: [setup.server.dotPort]
                )
                let agent = try await scope.startAgent(config: config)
                let viaAgent = try await Dig.query("db.internal.corp", server: agent.udpPort)
                #expect(viaAgent.answers.map(\.data) == ["198.51.100.7"], "agent before revocation: \(viaAgent)")

                let output = try await ztserverCLI(["endpoint", "revoke", "revokee", "--state", setup.fixture.paths.directory])
                #expect(output.contains("revokee revoked"))
                let listing = try await ztserverCLI(["endpoint", "list", "--state", setup.fixture.paths.directory])
                #expect(listing.split(separator: "\n").contains { $0.hasPrefix("revokee\t") && $0.contains("revoked") }, "endpoint list: \(listing)")

                // The server polls its state files every second: within a few seconds it refuses.
                let deadline = Date().addingTimeInterval(8)
                var last: DigResult?
                while Date() < deadline {
                    let result = try await Dig.kdigTLS("db.internal.corp", server: setup.server.dotPort, ca: setup.fixture.caPath, hostname: setup.fixture.serverName, certificate: revokee.certificatePath, key: revokee.keyPath)
                    last = result
                    if result.responseCode == nil { break }
                    try await Task.sleep(for: .milliseconds(250))
                }
                #expect(last?.responseCode == nil, "revokee still answered 8 s after revocation: \(last.map { "\($0)" } ?? "-")")
                // Refused for both clients, repeatedly (not a one-off).
                Self.expectRefused(try await Self.bothClients(setup, certificate: revokee.certificatePath, key: revokee.keyPath), "revoked revokee")
                #expect(setup.server.process.standardError.contains("endpoint revoked"), "logged: \(setup.server.process.standardError.suffix(3000))")
                // The agent's already-open connection is closed too: a name it never asked cannot be
                // resolved any more (SERVFAIL, not the record).
                let afterRevocation = try await Dig.query("internal.corp", type: "TXT", server: agent.udpPort)
                #expect(afterRevocation.responseCode == "SERVFAIL", "revoked agent still resolves: \(afterRevocation)")
                #expect(!afterRevocation.output.contains("\"hi\""), "\(afterRevocation)")
                // Other endpoints are unaffected.
                Self.expectAnswered(try await Self.bothClients(setup, certificate: setup.laptop.certificatePath, key: setup.laptop.keyPath), "laptop-1 after revoking revokee")
            }
        }
    }
}
