import Foundation
import Testing
import TestSupport

extension EndToEnd {
    /// Issue 3, renewal with the real binaries: certificates of one minute renew themselves under
    /// steady load without failing a query.
    @Suite("Renewal: a 60-second certificate renews itself under load")
    struct Renewal {
        @Test("over 3 minutes of steady queries at least two renewals happen and no query fails", .timeLimit(.minutes(6)))
        func renewalUnderLoad() async throws {
            try await TestScope.run { scope in
                let server = try await scope.initEnrollmentServer("renewal", certificateLifetime: 60)
                // Private answers live one second, so queries keep going to the server over DoT.
                try server.editSettings(["privateTTL": 1])
                let running = try await scope.startEnrollmentServer(server, extraArguments: ["--log-level", "debug"])
                let token = try await server.createToken()
                let state = "\(try scope.temporaryDirectory("renewal-agent"))/state"
                let enrolled = try await enroll(token: token, state: state)
                #expect(enrolled.status == 0, "enroll: \(enrolled)")
                let identityPath = "\(state)/identity.pem"
                let firstIdentity = try await IdentityInspector.inspect(identityPath)
                let firstSerial = try #require(firstIdentity.serial, "identity after enroll: \(firstIdentity)")

                let agent = try await scope.startEnrolledAgent(state: state, extraArguments: ["--log-level", "debug"])

                var serials = [firstSerial]
                var failures: [String] = []
                var count = 0
                var sawTTLAboveOne = false
                var nextIdentityCheck = Date().addingTimeInterval(2)
                let start = Date()
                let end = start.addingTimeInterval(180)
                while Date() < end {
                    let tick = Date()
                    let transport = count % 2 == 0 ? [String]() : ["+tcp"]
                    let result = try await Dig.query(IdentityFixture.privateName, server: agent.port(transport), options: transport)
                    count += 1
                    if result.responseCode != "NOERROR" || result.answers.map(\.data) != [IdentityFixture.privateAddress] {
                        failures.append("t=\(String(format: "%.1f", tick.timeIntervalSince(start))) s \(transport.isEmpty ? "UDP" : "TCP"): \(result)")
                    }
                    if result.answers.contains(where: { $0.ttl > 1 }) { sawTTLAboveOne = true }
                    if Date() >= nextIdentityCheck {
                        nextIdentityCheck = Date().addingTimeInterval(2)
                        let now = try await IdentityInspector.inspect(identityPath)
                        if case .broken(let why) = now { failures.append("identity.pem broken at t=\(Int(Date().timeIntervalSince(start))) s: \(why)") }
                        if let serial = now.serial, serial != serials.last { serials.append(serial) }
                    }
                    if !agent.process.isRunning || !running.process.isRunning {
                        failures.append("""
                            a process exited at t=\(Int(Date().timeIntervalSince(start))) s: agent \(agent.process.exitStatus.map { "\($0)" } ?? "running"), server \(running.process.exitStatus.map { "\($0)" } ?? "running")
                            --- agent stderr (tail) ---
                            \(agent.process.standardError.suffix(2500))
                            --- server stderr (tail) ---
                            \(running.process.standardError.suffix(2500))
                            """)
                        break
                    }
                    let elapsed = Date().timeIntervalSince(tick)
                    if elapsed < 0.5 { try await Task.sleep(for: .milliseconds(Int((0.5 - elapsed) * 1000))) }
                }

                let finalIdentity = try await IdentityInspector.inspect(identityPath)
                if let serial = finalIdentity.serial, serial != serials.last { serials.append(serial) }
                let agentRenewals = agent.process.errorLines(containing: "certificate renewed")
                let serverRenewals = running.process.errorLines(containing: "endpoint renewed")
                let renewalFailures = agent.process.errorLines(containing: "renewal failed")
                print("[identity-e2e] renewal: \(count) queries in \(Int(Date().timeIntervalSince(start))) s, \(failures.count) failed; agent logged \(agentRenewals.count) renewals, server \(serverRenewals.count); \(serials.count - 1) serial changes seen on disk; \(renewalFailures.count) renewal failures logged")

                #expect(failures.isEmpty, "\(failures.count) of \(count) queries failed:\n\(failures.prefix(10).joined(separator: "\n"))")
                #expect(count >= 300, "too few queries in 3 minutes: \(count)")
                #expect(!sawTTLAboveOne, "answers with TTL > 1: privateTTL 1 was not in force, queries did not go upstream")
                #expect(agentRenewals.count >= 2, "agent renewals: \(agentRenewals)")
                #expect(serverRenewals.count >= 2, "server renewals: \(serverRenewals)")
                #expect(serials.count >= 3, "the certificate serial in identity.pem changed \(serials.count - 1) times: \(serials)")
                #expect(finalIdentity.serial != nil && finalIdentity.serial != firstSerial, "final identity: \(finalIdentity)")
                #expect(try await IdentityInspector.verifies(identityPath, ca: "\(state)/ca.pem"))
                #expect(StateFiles.mode(identityPath) == 0o600)
                #expect(renewalFailures.isEmpty, "renewal failures: \(renewalFailures.prefix(5))")
                // No handshake was refused: after the first certificate expired, new DoT connections used a renewed one.
                let refused = running.process.errorLines(containing: "refused connection")
                #expect(refused.isEmpty, "the server refused the agent's connections: \(refused.prefix(5))")
                #expect(agent.process.errorLines(containing: "refused this endpoint").isEmpty, "\(agent.process.standardError.suffix(2000))")
                // Every renewal the agent logged the server also logged, for this CN.
                #expect(serverRenewals.allSatisfy { $0.contains("cn=\(IdentityFixture.endpoint)") }, "\(serverRenewals)")
                #expect(agent.process.isRunning && running.process.isRunning)
            }
        }
    }
}
