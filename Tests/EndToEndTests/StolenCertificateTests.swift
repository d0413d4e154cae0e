import Foundation
import Testing
import TestSupport

extension EndToEnd {
    /// Issue 11 item 1 with the real binaries and independent clients (kdig, curl, openssl
    /// s_client, Python's ssl): a certificate counts only while the registry binds its serial to
    /// the CN. A copy of an agent's identity is refused after revoke + re-enroll; a renewed
    /// agent's older certificate after the grace window; a resumed TLS session after revocation.
    @Suite("Stolen certificates: refused by serial on DoT, router and API", .serialized)
    struct StolenCertificate {
        static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("scripts").path

        /// kdig over DoT presenting `identity` (key and certificate in one PEM file).
        static func kdig(_ server: EnrollmentServerState, identity: String, ca: String, name: String = IdentityFixture.privateName) async throws -> DigResult {
            try await Dig.kdigTLS(name, server: server.dotPort, ca: ca, hostname: "ztserver.test", certificate: identity, key: identity)
        }

        /// curl against the API presenting `identity`; returns the HTTP status and the body.
        static func curl(_ server: EnrollmentServerState, _ path: String, identity: String, ca: String) async throws -> (status: Int, body: String) {
            let result = try await runTool(try PeerTool.require("curl"), [
                "-sS", "--max-time", "10", "--cacert", ca, "--cert", identity, "--key", identity,
                "-w", "\n%{http_code}", "https://127.0.0.1:\(server.apiPort)\(path)",
            ])
            let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            return (Int(lines.last ?? "") ?? -1, lines.dropLast().joined(separator: "\n"))
        }

        /// openssl s_client to the tunnel listener with SNI `name`, presenting `identity`; the
        /// server's refusal reason is read from its log.
        static func tunnel(port: Int, name: String, identity: String, ca: String) async throws -> (status: Int32, stdout: String, stderr: String) {
            try await runTool(try IdentityInspector.openssl(), [
                "s_client", "-connect", "127.0.0.1:\(port)", "-servername", name, "-cert", identity, "-key", identity,
                "-CAfile", ca, "-verify_return_error", "-tls1_3", "-quiet", "-no_ign_eof",
            ], timeout: 15)
        }

        static func copyState(_ from: String, to: String) async throws {
            let copy = try await runTool("/bin/cp", ["-a", from, to])
            guard copy.status == 0 else { throw HarnessError("cp -a \(from) \(to): \(copy.stderr)") }
        }

        static func waitFor(_ text: String, in process: Spawned, timeout: TimeInterval = 5) async throws -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if process.standardError.contains(text) || process.standardOutput.contains(text) { return true }
                try await Task.sleep(for: .milliseconds(50))
            }
            return false
        }

        @Test("a copy of an agent's certificate is refused on DoT, router and API after revoke and re-enroll")
        func copiedCertificateAfterRevokeAndReEnroll() async throws {
            try await TestScope.run { scope in
                let server = try await scope.initEnrollmentServer("stolen")
                let running = try await scope.startEnrollmentServer(server)
                let state = "\(try scope.temporaryDirectory("stolen-agent"))/state"
                let enrolled = try await enroll(token: try await server.createToken(), state: state)
                #expect(enrolled.status == 0, "enroll: \(enrolled)")
                let ca = "\(state)/ca.pem"
                let stolen = "\(try scope.temporaryDirectory("thief"))/identity.pem"
                try FileManager.default.copyItem(atPath: "\(state)/identity.pem", toPath: stolen)

                // Before: the copy works like the original (that is what makes it a theft).
                let before = try await Self.kdig(server, identity: stolen, ca: ca)
                #expect(before.answers.map(\.data) == [IdentityFixture.privateAddress], "copy before revoke: \(before)")
                #expect(try await Self.curl(server, "/v1/config", identity: stolen, ca: ca).status == 200)

                // The operator revokes; a token for the same name needs --replace.
                try await ztserverCLI(["endpoint", "revoke", IdentityFixture.endpoint, "--state", server.state])
                let plain = try await runTool(try Peers.ztserver(), ["token", "create", "--state", server.state, "--name", IdentityFixture.endpoint])
                #expect(plain.status != 0, "token create for an existing name without --replace: \(plain)")
                #expect(plain.stderr.contains("exists") && plain.stderr.contains("--replace"), "\(plain.stderr)")
                #expect(!plain.stdout.contains("."), "no token printed: \(plain.stdout)")
                let replacing = try await runTool(try Peers.ztserver(), ["token", "create", "--state", server.state, "--name", IdentityFixture.endpoint, "--replace"])
                #expect(replacing.status == 0, "\(replacing)")
                #expect(replacing.stderr.contains("replaces endpoint \(IdentityFixture.endpoint) (revoked"), "the replacement is said: \(replacing.stderr)")
                let tokenPath = "\(server.tokens)/replace.jwt"
                try replacing.stdout.write(toFile: tokenPath, atomically: true, encoding: .utf8)
                let again = try await enroll(token: tokenPath, state: state, force: true)
                #expect(again.status == 0, "re-enroll: \(again)")
                let current = "\(state)/identity.pem"
                #expect(try await IdentityInspector.inspect(current).serial != (try await IdentityInspector.inspect(stolen).serial))

                // DoT: the copy's handshake is refused, the new identity answers.
                let dot = try await Self.kdig(server, identity: stolen, ca: ca)
                #expect(dot.answers.isEmpty && dot.responseCode != "NOERROR", "the copied certificate still resolves after re-enrollment: \(dot)")
                #expect(try await Self.waitFor("refused connection: certificate serial is not the endpoint's current one", in: running.process),
                        "server log: \(running.process.standardError.suffix(2000))")
                let owner = try await Self.kdig(server, identity: current, ca: ca)
                #expect(owner.answers.map(\.data) == [IdentityFixture.privateAddress], "re-enrolled identity: \(owner)")

                // API: config and renew refused for the copy, the same answer as for a revoked endpoint.
                let config = try await Self.curl(server, "/v1/config", identity: stolen, ca: ca)
                #expect(config.status == 403 && config.body.contains("endpoint_revoked"), "config with the copy: \(config)")
                #expect(try await Self.curl(server, "/v1/config", identity: current, ca: ca).status == 200)
                let thiefState = "\(try scope.temporaryDirectory("thief-state"))/state"
                try await Self.copyState(state, to: thiefState)
                try FileManager.default.removeItem(atPath: "\(thiefState)/identity.pem")
                try FileManager.default.copyItem(atPath: stolen, toPath: "\(thiefState)/identity.pem")
                let renew = try await ztagentCLI(["renew", "--state", thiefState])
                #expect(renew.status != 0, "the copy renewed itself: \(renew)")
                #expect(try await IdentityInspector.inspect("\(thiefState)/identity.pem").serial == (try await IdentityInspector.inspect(stolen).serial))

                // Router: the copy is refused for its serial before any route is looked up; the
                // owner gets as far as the route table (no route here: unknown_name).
                let tunnelPort = try Ports.parse("tunnel", in: running.listeningLine)
                _ = try await Self.tunnel(port: tunnelPort, name: IdentityFixture.privateName, identity: stolen, ca: ca)
                #expect(try await Self.waitFor("tunnel connection refused: stale_serial", in: running.process),
                        "router log: \(running.process.standardError.suffix(2000))")
                _ = try await Self.tunnel(port: tunnelPort, name: IdentityFixture.privateName, identity: current, ca: ca)
                #expect(try await Self.waitFor("tunnel connection refused: unknown_name", in: running.process))
                print("[trust] stolen certificate: DoT \(dot.responseCode), API \(config.status), renew exit \(renew.status), router stale_serial")
            }
        }

        @Test("after a renewal the older certificate works for the grace window, then is refused; it never renews")
        func olderCertificateAfterRenewal() async throws {
            try await TestScope.run { scope in
                let server = try await scope.initEnrollmentServer("grace")
                try server.editSettings(["renewalGraceSeconds": 3])
                let running = try await scope.startEnrollmentServer(server)
                let state = "\(try scope.temporaryDirectory("grace-agent"))/state"
                #expect(try await enroll(token: try await server.createToken(), state: state).status == 0)
                let ca = "\(state)/ca.pem"
                let older = "\(try scope.temporaryDirectory("grace-old"))/state"
                try await Self.copyState(state, to: older)

                let renew = try await ztagentCLI(["renew", "--state", state])
                #expect(renew.status == 0, "renew: \(renew)")
                let renewedAt = Date()
                let inside = try await Self.kdig(server, identity: "\(older)/identity.pem", ca: ca)
                #expect(inside.answers.map(\.data) == [IdentityFixture.privateAddress], "the previous certificate inside the grace window: \(inside)")
                // Once the owner used its new certificate, only that one renews, even inside the
                // grace window (before that, the previous one may: a renewal answer can be lost).
                let owner = try await Self.kdig(server, identity: "\(state)/identity.pem", ca: ca)
                #expect(owner.answers.map(\.data) == [IdentityFixture.privateAddress], "the renewed certificate: \(owner)")
                let olderRenew = try await ztagentCLI(["renew", "--state", older])
                #expect(olderRenew.status != 0, "the previous certificate renewed: \(olderRenew)")
                #expect(try await Self.waitFor("API call refused: certificate serial is not the endpoint's current one", in: running.process))

                let wait = 3.5 - Date().timeIntervalSince(renewedAt)
                if wait > 0 { try await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
                let after = try await Self.kdig(server, identity: "\(older)/identity.pem", ca: ca)
                #expect(after.answers.isEmpty && after.responseCode != "NOERROR", "the previous certificate after the grace window: \(after)")
                #expect(try await Self.curl(server, "/v1/config", identity: "\(older)/identity.pem", ca: ca).status == 403)
                let current = try await Self.kdig(server, identity: "\(state)/identity.pem", ca: ca)
                #expect(current.answers.map(\.data) == [IdentityFixture.privateAddress], "the renewed certificate: \(current)")
            }
        }

        /// Python's ssl resumes the TLS 1.3 session (a ticket the server issued) on its second
        /// connection, which skips chain verification: the server must still refuse the identity.
        @Test("a resumed TLS session does not outlive revocation or the serial", arguments: ["revoke", "replace"])
        func resumedSession(change: String) async throws {
            try await TestScope.run { scope in
                let server = try await scope.initEnrollmentServer("resume-\(change)")
                let running = try await scope.startEnrollmentServer(server)
                let state = "\(try scope.temporaryDirectory("resume-agent"))/state"
                #expect(try await enroll(token: try await server.createToken(), state: state).status == 0)
                let go = "\(try scope.temporaryDirectory("resume-go"))/go"
                let probe = try scope.start(try PeerTool.require("python3"), [
                    "\(Self.scripts)/dot-resume.py", "127.0.0.1", "\(server.dotPort)", "\(state)/ca.pem", "\(state)/identity.pem",
                    "ztserver.test", IdentityFixture.privateName, go,
                ])
                _ = try await probe.waitForLine(startingWith: "READY", timeout: 15)
                #expect(probe.standardOutput.contains("conn=1 reused=0 tls=TLSv1.3 answer=0/1"), "first connection: \(probe.standardOutput) \(probe.standardError)")
                let expected: String
                if change == "revoke" {
                    try await ztserverCLI(["endpoint", "revoke", IdentityFixture.endpoint, "--state", server.state])
                    expected = "refused connection: endpoint revoked"
                } else {
                    // The name is re-issued: the session's certificate is a valid one of an
                    // active CN, only its serial is no longer bound.
                    try await ztserverCLI(["endpoint", "issue", IdentityFixture.endpoint, "--replace", "--out", try scope.temporaryDirectory("reissued"), "--state", server.state])
                    expected = "refused connection: certificate serial is not the endpoint's current one"
                }
                try await Task.sleep(for: .milliseconds(600))
                FileManager.default.createFile(atPath: go, contents: Data())
                _ = try await probe.waitForExit(timeout: 20)
                let second = probe.standardOutput.split(separator: "\n").first { $0.hasPrefix("conn=2 ") }.map(String.init) ?? ""
                print("[trust] resumption after \(change): \(second)")
                #expect(second.contains("answer=none"), "the identity got an answer on the second connection after \(change): \(probe.standardOutput)")
                // Whether the session was resumed or not, nothing was answered; when it was
                // resumed, the server refused it after the handshake and says why.
                if second.contains("reused=1") {
                    #expect(try await Self.waitFor(expected, in: running.process), "\(running.process.standardError.suffix(2000))")
                }
            }
        }
    }
}
