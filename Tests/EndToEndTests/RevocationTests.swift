import Foundation
import NIOConcurrencyHelpers
import Testing
import TestSupport

extension EndToEnd {
    /// Issue 3, revocation with the real binaries: `ztserver endpoint revoke` stops the agent's
    /// private answers within a second (cached ones too), closes its DoT connection, refuses its
    /// renewals, and only a new token brings it back.
    @Suite("Revocation: answers stop within a second, a new token is needed")
    struct Revocation {
        /// One dig of a polling loop, timed relative to the moment `endpoint revoke` returned.
        struct Poll: CustomStringConvertible {
            let name: String
            let started: TimeInterval
            let finished: TimeInterval
            let code: String
            let answers: [String]

            var description: String {
                "\(self.name) [\(String(format: "%+.3f", self.started)) .. \(String(format: "%+.3f", self.finished)) s] \(self.code) \(self.answers)"
            }
        }

        @Test("after endpoint revoke private answers stop within 1 s, the DoT connection is closed, re-enrolling needs a new token")
        func revocation() async throws {
            try await TestScope.run { scope in
                let server = try await scope.initEnrollmentServer("revoke")
                let running = try await scope.startEnrollmentServer(server)
                let oldToken = try await server.createToken()
                let state = "\(try scope.temporaryDirectory("revoke-agent"))/state"
                let enrolled = try await enroll(token: oldToken, state: state)
                #expect(enrolled.status == 0, "enroll: \(enrolled)")
                let identityBefore = try await IdentityInspector.inspect("\(state)/identity.pem")
                var agent = try await scope.startEnrolledAgent(state: state)

                // Warm the cache with the private name (privateTTL 60 s: answers come from the cache).
                let warm = try await Dig.query(IdentityFixture.privateName, server: agent.udpPort)
                #expect(warm.answers.map(\.data) == [IdentityFixture.privateAddress], "warm-up: \(warm)")
                let cached = try await Dig.query(IdentityFixture.privateName, server: agent.udpPort)
                #expect(cached.answers.map(\.data) == [IdentityFixture.privateAddress], "cached: \(cached)")
                // A DoT connection is open right now (a fresh name went upstream).
                let fresh = try await Dig.query("n40.\(IdentityFixture.zone)", server: agent.udpPort)
                #expect(fresh.answers.map(\.data) == ["198.51.100.40"], "before revoke: \(fresh)")

                // Two polling loops, every 100 ms: the cached name, and a private name never asked before.
                let origin = NIOLockedValueBox<Date?>(nil)
                let stopAt = NIOLockedValueBox<Date>(Date().addingTimeInterval(60))
                let port = agent.udpPort
                func poll(names: @escaping @Sendable (Int) -> String) -> Task<[Poll], Error> {
                    Task {
                        var polls: [Poll] = []
                        var index = 0
                        while Date() < stopAt.withLockedValue({ $0 }) {
                            let tick = Date()
                            let name = names(index)
                            index += 1
                            let result = try await Dig.query(name, server: port, options: ["+time=2"])
                            if let zero = origin.withLockedValue({ $0 }) {
                                polls.append(Poll(
                                    name: name, started: tick.timeIntervalSince(zero), finished: Date().timeIntervalSince(zero),
                                    code: result.responseCode ?? "no answer (exit \(result.exitStatus))", answers: result.answers.map(\.data)
                                ))
                            } else {
                                polls.append(Poll(name: name, started: -.infinity, finished: -.infinity, code: result.responseCode ?? "none", answers: result.answers.map(\.data)))
                            }
                            let elapsed = Date().timeIntervalSince(tick)
                            if elapsed < 0.1 { try await Task.sleep(for: .milliseconds(Int((0.1 - elapsed) * 1000))) }
                        }
                        return polls
                    }
                }
                let cachedLoop = poll { _ in IdentityFixture.privateName }
                let freshLoop = poll { index in "n\(index % 39 + 1).\(IdentityFixture.zone)" }
                try await Task.sleep(for: .milliseconds(300))

                let revoke = try await ztserverCLI(["endpoint", "revoke", IdentityFixture.endpoint, "--state", server.state])
                let revoked = Date()
                origin.withLockedValue { $0 = revoked }
                #expect(revoke.contains("revoked"), "\(revoke)")
                stopAt.withLockedValue { $0 = revoked.addingTimeInterval(4) }
                let cachedPolls = try await cachedLoop.value
                let freshPolls = try await freshLoop.value

                let beforeRevoke = cachedPolls.filter { $0.started == -.infinity }
                #expect(!beforeRevoke.isEmpty && beforeRevoke.allSatisfy { $0.code == "NOERROR" && $0.answers == [IdentityFixture.privateAddress] }, "cached name before the revoke: \(beforeRevoke)")
                let after = cachedPolls.filter { $0.started != -.infinity }
                let firstFailure = after.firstIndex { $0.code == "SERVFAIL" }
                let latency = firstFailure.map { after[$0].finished }
                print("[identity-e2e] revocation: first SERVFAIL for the cached name \(latency.map { String(format: "%.3f s", $0) } ?? "never") after 'endpoint revoke' returned (dig started at \(firstFailure.map { String(format: "%.3f s", after[$0].started) } ?? "-")); \(after.count) cached polls, \(freshPolls.count) fresh polls")
                #expect(latency != nil, "the cached private name was still answered 4 s after the revoke: \(after)")
                if let latency, let firstFailure {
                    #expect(latency < 1.5, "private answers stopped only \(latency) s after the revoke: \(after)")
                    // Once stopped, they stay stopped: no answer from the cache or the server afterwards.
                    let later = after[firstFailure...]
                    #expect(later.allSatisfy { $0.code == "SERVFAIL" && $0.answers.isEmpty }, "answers came back after the first SERVFAIL: \(Array(later))")
                    let freshAfter = freshPolls.filter { $0.started >= after[firstFailure].finished }
                    #expect(!freshAfter.isEmpty && freshAfter.allSatisfy { $0.code == "SERVFAIL" && $0.answers.isEmpty }, "new private names after the first SERVFAIL: \(freshAfter)")
                }
                // Anything answered from 1.5 s on is a failure, for either loop.
                let lateAnswers = (after + freshPolls).filter { $0.started > 1.5 && !$0.answers.isEmpty }
                #expect(lateAnswers.isEmpty, "private answers more than 1.5 s after the revoke: \(lateAnswers)")

                // The server closed the open DoT connection, and refuses the identity.
                let closed = running.process.errorLines(containing: "state reloaded").compactMap { line -> Int? in
                    guard let range = line.range(of: "connections_closed=") else { return nil }
                    return Int(line[range.upperBound...].prefix { $0.isNumber })
                }
                let refusals = running.process.errorLines(containing: "refused connection: endpoint revoked")
                print("[identity-e2e] revocation: server 'state reloaded' connections_closed=\(closed), 'refused connection: endpoint revoked' x\(refusals.count)")
                #expect(closed.contains { $0 >= 1 }, "the server did not close the revoked endpoint's open DoT connection: \(running.process.standardError.suffix(3000))")
                #expect(!refusals.isEmpty, "no handshake refused for the revoked endpoint: \(running.process.standardError.suffix(3000))")
                #expect(agent.process.standardError.contains("server refused this endpoint's identity"), "agent log: \(agent.process.standardError.suffix(3000))")
                let endpoints = try await server.endpointList()
                #expect(endpoints.contains { $0.hasPrefix("\(IdentityFixture.endpoint)\t") && $0.contains("revoked") }, "\(endpoints)")

                // Renewal is refused too, and leaves the identity as it was.
                let renew = try await ztagentCLI(["renew", "--state", state])
                #expect(renew.status != 0, "a revoked endpoint renewed: \(renew)")
                #expect(renew.stderr.contains("revoked"), "\(renew)")
                #expect(try await IdentityInspector.inspect("\(state)/identity.pem") == identityBefore)

                // Re-enrolling with the old token fails.
                let reuse = try await enroll(token: oldToken, state: state, force: true)
                #expect(reuse.status != 0, "re-enrolled with the spent token: \(reuse)")
                #expect(reuse.stderr.contains("token_used"), "\(reuse)")
                #expect(try await IdentityInspector.inspect("\(state)/identity.pem") == identityBefore, "a refused enroll changed the identity")

                // A new token does it; after a restart the agent answers again.
                let newToken = try await server.createToken(replace: true)
                let again = try await enroll(token: newToken, state: state, force: true)
                #expect(again.status == 0, "enroll with a new token after revocation: \(again)")
                let identityAfter = try await IdentityInspector.inspect("\(state)/identity.pem")
                #expect(identityAfter.serial != nil && identityAfter.serial != identityBefore.serial, "\(identityBefore) -> \(identityAfter)")
                let reactivated = try await server.endpointList()
                #expect(reactivated.contains { $0.hasPrefix("\(IdentityFixture.endpoint)\t") && $0.contains("active") }, "\(reactivated)")

                await agent.process.terminate()
                agent = try await scope.startEnrolledAgent(state: state)
                var answer: DigResult?
                let deadline = Date().addingTimeInterval(5)
                while Date() < deadline {
                    answer = try await Dig.query(IdentityFixture.privateName, server: agent.udpPort)
                    if answer?.answers.map(\.data) == [IdentityFixture.privateAddress] { break }
                    try await Task.sleep(for: .milliseconds(200))
                }
                #expect(answer?.responseCode == "NOERROR" && answer?.answers.map(\.data) == [IdentityFixture.privateAddress], "after re-enrolling: \(answer.map { "\($0)" } ?? "-")")
                let tcp = try await Dig.query("n3.\(IdentityFixture.zone)", server: agent.tcpPort, options: ["+tcp"])
                #expect(tcp.answers.map(\.data) == ["198.51.100.3"], "after re-enrolling (TCP): \(tcp)")
            }
        }
    }
}
