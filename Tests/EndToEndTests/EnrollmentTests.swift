import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

extension EndToEnd {
    /// Issue 3, enrollment with the real binaries: `ztserver init` -> `token create` ->
    /// `ztagent enroll` -> `ztagent run` -> dig, and the ways a token is refused.
    @Suite("Enrollment: one-time tokens, the key stays on the host")
    struct Enrollment {
        @Test("real flow: init, token, enroll, run, dig gets the private answer; the key never reaches the server")
        func realFlow() async throws {
            try await TestScope.run { scope in
                let server = try await scope.initEnrollmentServer("flow")
                let running = try await scope.startEnrollmentServer(server)
                let token = try await server.createToken()
                let agentState = "\(try scope.temporaryDirectory("flow-agent"))/state"

                let enrolled = try await enroll(token: token, state: agentState)
                #expect(enrolled.status == 0, "enroll: \(enrolled)")
                #expect(enrolled.stdout.hasPrefix("enrolled as \(IdentityFixture.endpoint):"), "enroll: \(enrolled)")
                let identityPath = "\(agentState)/identity.pem"
                #expect(StateFiles.mode(agentState) == 0o700, "state directory mode \(String(StateFiles.mode(agentState) ?? 0, radix: 8))")
                #expect(StateFiles.mode(identityPath) == 0o600, "identity.pem mode \(String(StateFiles.mode(identityPath) ?? 0, radix: 8))")
                for file in ["ca.pem", "signing-keys.json", "config.jwt"] {
                    #expect(FileManager.default.fileExists(atPath: "\(agentState)/\(file)"), "\(file) missing after enroll")
                }
                let identity = try await IdentityInspector.inspect(identityPath)
                #expect(identity.serial != nil, "identity after enroll: \(identity)")
                #expect(try await IdentityInspector.verifies(identityPath, ca: "\(server.state)/ca.pem"), "the certificate must chain to the server's CA")
                #expect(try await IdentityInspector.subject(identityPath).contains("CN=\(IdentityFixture.endpoint)"))

                // The agent, from its state directory only, answers the private name over UDP and TCP.
                let agent = try await scope.startEnrolledAgent(state: agentState)
                for transport in [[], ["+tcp"]] as [[String]] {
                    let answer = try await Dig.query(IdentityFixture.privateName, server: agent.port(transport), options: transport)
                    #expect(answer.responseCode == "NOERROR", "\(transport) \(answer)")
                    #expect(answer.answers.map(\.data) == [IdentityFixture.privateAddress], "\(transport) \(answer)")
                    let other = try await Dig.query("n7.\(IdentityFixture.zone)", server: agent.port(transport), options: transport)
                    #expect(other.answers.map(\.data) == ["198.51.100.7"], "\(transport) \(other)")
                }

                // The server registered the endpoint and spent the token.
                #expect(running.process.errorLines(containing: "endpoint enrolled").contains { $0.contains("cn=\(IdentityFixture.endpoint)") }, "\(running.process.standardError.suffix(2000))")
                let endpoints = try await server.endpointList()
                #expect(endpoints.contains { $0.hasPrefix("\(IdentityFixture.endpoint)\t") && $0.contains("active") }, "endpoint list: \(endpoints)")
                let tokens = try await server.tokenList()
                #expect(tokens.count == 1 && tokens[0].contains("used ") && !tokens[0].contains("unused"), "token list: \(tokens)")

                // The private key never left the agent's directory.
                let key = try await IdentityInspector.keyFingerprints(identityPath)
                // Control: the search finds the key where it is.
                let identityBytes = Array(try Data(contentsOf: URL(fileURLWithPath: identityPath)))
                let control = key.found(in: identityBytes) + key.found(in: identityBytes.filter { $0 != 0x0A }).map { "unwrapped \($0)" }
                #expect(control.contains("PEM body line 1") && control.contains("unwrapped PEM body"), "the key search does not find the key in identity.pem itself: \(control)")

                func checkServerNeverSawKey(_ when: String) throws {
                    let files = try StateFiles.all(under: server.state)
                    #expect(files.contains { $0.path.hasSuffix("/registry.sqlite") }, "no registry.sqlite under \(server.state): \(files.map(\.path))")
                    for file in files {
                        let found = key.found(in: file.bytes)
                        #expect(found.isEmpty, "\(when): the agent's private key (\(found)) is in the server's file \(file.path)")
                    }
                    for (name, text) in [("stdout", running.process.standardOutput), ("stderr", running.process.standardError)] {
                        let found = key.found(in: Array(text.utf8))
                        #expect(found.isEmpty, "\(when): the agent's private key (\(found)) is in the server's \(name)")
                    }
                    print("[identity-e2e] realFlow \(when): searched \(files.count) server files (\(files.map { ($0.path as NSString).lastPathComponent }.sorted().joined(separator: ", "))) and the server's logs for \(key.needles.count) forms of the key: none found")
                }
                try checkServerNeverSawKey("server running")
                // After a clean stop the WAL is checkpointed into registry.sqlite: look again.
                await running.process.terminate()
                #expect(running.process.exitStatus == 0, "ztserver exit \(running.process.exitStatus ?? -1): \(running.process.standardError.suffix(1000))")
                try checkServerNeverSawKey("server stopped")
                #expect(agent.process.isRunning)
            }
        }

        @Test("a token works once: the second enroll fails with one line and writes nothing")
        func tokenReuseFails() async throws {
            try await TestScope.run { scope in
                let server = try await scope.initEnrollmentServer("reuse")
                let running = try await scope.startEnrollmentServer(server)
                let token = try await server.createToken()
                let work = try scope.temporaryDirectory("reuse-agents")

                let first = try await enroll(token: token, state: "\(work)/first")
                #expect(first.status == 0, "first enroll: \(first)")
                #expect(try await IdentityInspector.inspect("\(work)/first/identity.pem").serial != nil)

                let second = try await enroll(token: token, state: "\(work)/second")
                #expect(second.status != 0, "the same token enrolled twice: \(second)")
                #expect(second.errorLines.count == 1, "one clear line expected: \(second)")
                #expect(second.stderr.contains("already used"), "the message must say the token was used: \(second)")
                #expect(second.stderr.contains("token_used"), "\(second)")
                #expect(!second.stdout.contains("enrolled"), "\(second)")
                #expect(!FileManager.default.fileExists(atPath: "\(work)/second/identity.pem"), "an identity was written by a refused enroll")
                let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: "\(work)/second")) ?? []
                #expect(leftovers.isEmpty, "a refused enroll left files behind: \(leftovers)")

                // Also with --force into the first (enrolled) directory: refused, the identity in place untouched.
                let before = try await IdentityInspector.inspect("\(work)/first/identity.pem")
                let forced = try await enroll(token: token, state: "\(work)/first", force: true)
                #expect(forced.status != 0 && forced.stderr.contains("token_used"), "\(forced)")
                #expect(try await IdentityInspector.inspect("\(work)/first/identity.pem") == before, "a refused enroll changed the identity in place")

                // The server saw one enrollment and one spent token.
                #expect(running.process.errorLines(containing: "endpoint enrolled").count == 1, "\(running.process.standardError.suffix(2000))")
                let tokens = try await server.tokenList()
                #expect(tokens.count == 1 && tokens[0].contains("used "), "token list: \(tokens)")
            }
        }

        @Test("an expired token fails with one line saying so, and nothing is written")
        func expiredTokenFails() async throws {
            try await TestScope.run { scope in
                let server = try await scope.initEnrollmentServer("expired")
                let running = try await scope.startEnrollmentServer(server)
                let token = try await server.createToken(ttl: 1)
                try await Task.sleep(for: .milliseconds(2_200))
                let state = "\(try scope.temporaryDirectory("expired-agent"))/state"

                let result = try await enroll(token: token, state: state)
                #expect(result.status != 0, "an expired token enrolled: \(result)")
                #expect(result.errorLines.count == 1, "one clear line expected: \(result)")
                #expect(result.stderr.contains("expired"), "the message must say the token expired: \(result)")
                #expect(!FileManager.default.fileExists(atPath: "\(state)/identity.pem"), "an identity was written")
                let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: state)) ?? []
                #expect(leftovers.isEmpty, "files written for an expired token: \(leftovers)")

                // The server registered nothing and the token is still unused.
                #expect(try await server.endpointList().isEmpty)
                #expect(running.process.errorLines(containing: "endpoint enrolled").isEmpty)
                let tokens = try await server.tokenList()
                #expect(tokens.count == 1 && tokens[0].contains("unused"), "token list: \(tokens)")
            }
        }

        @Test("a token whose CA fingerprint does not match the server fails before any CSR is sent")
        func fingerprintMismatchFailsBeforeCSR() async throws {
            try await TestScope.run { scope in
                // The real server: initialized on port P, not running.
                let victim = try await scope.initEnrollmentServer("victim")
                let token = try await victim.createToken()
                // The attacker: its own CA, listening on the same port P.
                let attacker = try await scope.initEnrollmentServer("attacker", apiPort: victim.apiPort)
                _ = try await attacker.createToken(name: IdentityFixture.endpoint)
                let running = try await scope.startEnrollmentServer(attacker)
                let endpointsBefore = try await attacker.endpointList()
                let tokensBefore = try await attacker.tokenList()
                #expect(endpointsBefore.isEmpty && tokensBefore.count == 1 && tokensBefore[0].contains("unused"), "\(endpointsBefore) \(tokensBefore)")
                let victimCA = try String(contentsOfFile: "\(victim.state)/ca.pem", encoding: .utf8)
                let attackerCA = try String(contentsOfFile: "\(attacker.state)/ca.pem", encoding: .utf8)
                #expect(victimCA != attackerCA, "the two servers must have different CAs")

                let state = "\(try scope.temporaryDirectory("mitm-agent"))/state"
                let result = try await enroll(token: token, state: state)
                #expect(result.status != 0, "enrolled with a server whose CA does not match the token: \(result)")
                #expect(result.errorLines.count == 1, "one clear line expected: \(result)")
                #expect(result.stderr.contains("fingerprint"), "the message must name the fingerprint: \(result)")
                #expect(!FileManager.default.fileExists(atPath: "\(state)/identity.pem"), "an identity was written")
                let written = ((try? FileManager.default.contentsOfDirectory(atPath: state)) ?? [])
                #expect(written.isEmpty, "files written after a fingerprint mismatch: \(written)")

                // The attacker received no CSR and no token: nothing registered, nothing spent, nothing logged.
                try await Task.sleep(for: .milliseconds(300))
                #expect(try await attacker.endpointList() == endpointsBefore, "the attacker registered an endpoint")
                #expect(try await attacker.tokenList() == tokensBefore, "the attacker's tokens changed")
                let log = running.process.standardError
                #expect(!log.contains("enrollment refused") && !log.contains("endpoint enrolled"), "the attacker saw an enrollment attempt: \(log.suffix(2000))")

                // Control: a request that does reach the attacker's enroll call is visible there. The attacker's own
                // token with a damaged signature passes the fingerprint check, is sent, and is refused with a log line.
                let own = try await attacker.createToken()
                let text = try String(contentsOfFile: own, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
                var parts = text.split(separator: ".").map(String.init)
                var signature = Array(parts[2])
                let middle = signature.count / 2
                signature[middle] = signature[middle] == "A" ? "B" : "A"
                parts[2] = String(signature)
                let damaged = "\(attacker.tokens)/damaged.jwt"
                try (parts.joined(separator: ".") + "\n").write(toFile: damaged, atomically: true, encoding: .utf8)
                let control = try await enroll(token: damaged, state: "\(state)-control")
                #expect(control.status != 0, "a token with a damaged signature enrolled: \(control)")
                #expect(!control.stderr.contains("fingerprint"), "\(control)")
                let deadline = Date().addingTimeInterval(5)
                while Date() < deadline && !running.process.standardError.contains("enrollment refused") {
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(running.process.standardError.contains("enrollment refused"), "control: the attacker did not log a refused enrollment: \(running.process.standardError.suffix(2000))")
            }
        }
    }
}
