import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

extension EndToEnd {
    /// Issue 3: SIGKILL of `ztagent enroll` and `ztagent renew` at random moments. The state
    /// directory always holds the old identity or the new one, complete and consistent, never a
    /// partial or empty file, and the agent can carry on from it.
    @Suite("Crash safety: SIGKILL during enroll and renew")
    struct CrashSafety {
        /// Kill delays: 20 runs uniformly in 0...`maximum` ms (as specified), then 20 runs inside the
        /// command's own measured duration, so that most of those land while it is working.
        static func delays(maximum: Int, measured: TimeInterval) -> [Int] {
            let window = max(20, Int(measured * 1000 * 1.1))
            return (0..<20).map { _ in randomMilliseconds(maximum) } + (0..<20).map { _ in randomMilliseconds(window) }
        }

        /// Starts `ztagent ARGS`, SIGKILLs it after `delay` ms (if still running), reaps it.
        static func runAndKill(_ arguments: [String], after delay: Int) async throws -> (killed: Bool, status: Int32, stderr: String) {
            let child = try Spawned(try Peers.ztagent(), arguments)
            if delay > 0 { try await Task.sleep(for: .milliseconds(delay)) }
            let killed = child.isRunning
            if killed { kill(child.processIdentifier, SIGKILL) }
            let status = try await child.waitForExit(timeout: 20)
            return (killed && status == 128 + SIGKILL, status, child.standardError)
        }

        @Test("SIGKILL during enroll: no identity or a complete one, and a later enroll --force succeeds", .timeLimit(.minutes(8)))
        func killDuringEnroll() async throws {
            try await TestScope.run { scope in
                let server = try await scope.initEnrollmentServer("kill-enroll")
                _ = try await scope.startEnrollmentServer(server)
                let work = try scope.temporaryDirectory("kill-enroll-agents")

                // How long an enroll takes here, to aim half the kills inside it.
                let probe = try await enroll(token: try await server.createToken(), state: "\(work)/probe")
                #expect(probe.status == 0, "probe enroll: \(probe)")
                let delays = Self.delays(maximum: 400, measured: probe.duration)

                var interrupted = 0, absent = 0, complete = 0
                var leftovers: [String] = []
                for (run, delay) in delays.enumerated() {
                    let state = "\(work)/run-\(run)"
                    let token = try await server.createToken(replace: true)
                    let outcome = try await Self.runAndKill(["enroll", "--token", token, "--state", state], after: delay)
                    if outcome.killed { interrupted += 1 } else {
                        #expect(outcome.status == 0, "run \(run): enroll not killed but failed: \(outcome.status) \(outcome.stderr)")
                    }
                    let identity = try await IdentityInspector.inspect("\(state)/identity.pem")
                    switch identity {
                    case .absent:
                        absent += 1
                    case .valid:
                        complete += 1
                        #expect(StateFiles.mode("\(state)/identity.pem") == 0o600, "run \(run)")
                        #expect(try await IdentityInspector.verifies("\(state)/identity.pem", ca: "\(server.state)/ca.pem"), "run \(run)")
                        // The identity is written last: what it needs is already there.
                        for file in ["ca.pem", "signing-keys.json", "config.jwt"] {
                            #expect(FileManager.default.fileExists(atPath: "\(state)/\(file)"), "run \(run): identity.pem without \(file)")
                        }
                    case .broken(let why):
                        Issue.record("run \(run) (killed after \(delay) ms: \(outcome.killed)): identity.pem is \(why)")
                    }
                    let temporary = StateFiles.temporaryFiles(in: state)
                    if !temporary.isEmpty { leftovers.append("run \(run): \(temporary)") }

                    // Whatever was left, a fresh token and --force enroll from here.
                    let again = try await enroll(token: try await server.createToken(replace: true), state: state, force: true)
                    #expect(again.status == 0, "run \(run) (killed after \(delay) ms): enroll --force afterwards failed: \(again)")
                    let after = try await IdentityInspector.inspect("\(state)/identity.pem")
                    #expect(after.serial != nil && after != identity, "run \(run): identity after the second enroll: \(after)")
                }
                print("[identity-e2e] kill during enroll: \(delays.count) runs (enroll takes \(Int(probe.duration * 1000)) ms here), \(interrupted) killed mid-way, \(absent) left no identity, \(complete) a complete identity, 0 broken unless reported; leftover temporary files in \(leftovers.count) runs\(leftovers.isEmpty ? "" : ": \(leftovers.prefix(5))")")
                #expect(interrupted >= 5, "too few enrolls were actually interrupted (\(interrupted)) for the test to mean anything")
                #expect(absent + complete == delays.count)
            }
        }

        @Test("SIGKILL during renew: the old identity or the new one, complete and consistent; the agent still runs", .timeLimit(.minutes(8)))
        func killDuringRenew() async throws {
            try await TestScope.run { scope in
                let server = try await scope.initEnrollmentServer("kill-renew")
                let running = try await scope.startEnrollmentServer(server)
                let state = "\(try scope.temporaryDirectory("kill-renew-agent"))/state"
                let enrolled = try await enroll(token: try await server.createToken(), state: state)
                #expect(enrolled.status == 0, "enroll: \(enrolled)")
                let identityPath = "\(state)/identity.pem"
                let caPath = "\(state)/ca.pem"

                let probe = try await ztagentCLI(["renew", "--state", state])
                #expect(probe.status == 0 && probe.stdout.hasPrefix("renewed \(IdentityFixture.endpoint)"), "probe renew: \(probe)")
                let delays = Self.delays(maximum: 300, measured: probe.duration)

                var current = try await IdentityInspector.inspect(identityPath)
                var seen: Set<String> = [try #require(current.serial)]
                var interrupted = 0, changed = 0, unchanged = 0
                var leftovers: [String] = []
                for (run, delay) in delays.enumerated() {
                    let outcome = try await Self.runAndKill(["renew", "--state", state], after: delay)
                    if outcome.killed { interrupted += 1 } else {
                        #expect(outcome.status == 0, "run \(run): renew not killed but failed: \(outcome.status) \(outcome.stderr)")
                    }
                    let now = try await IdentityInspector.inspect(identityPath)
                    guard let serial = now.serial else {
                        Issue.record("run \(run) (killed after \(delay) ms: \(outcome.killed)): identity.pem is \(now)")
                        break
                    }
                    #expect(StateFiles.mode(identityPath) == 0o600, "run \(run)")
                    #expect(try await IdentityInspector.verifies(identityPath, ca: caPath), "run \(run): the certificate does not chain to the pinned CA")
                    if serial == current.serial {
                        unchanged += 1
                    } else {
                        // A new identity: never one seen before (no going back to an older file).
                        #expect(!seen.contains(serial), "run \(run): identity.pem went back to an older serial \(serial)")
                        changed += 1
                    }
                    seen.insert(serial)
                    current = now
                    let temporary = StateFiles.temporaryFiles(in: state)
                    if !temporary.isEmpty { leftovers.append("run \(run): \(temporary)") }
                }
                print("[identity-e2e] kill during renew: \(delays.count) runs (renew takes \(Int(probe.duration * 1000)) ms here), \(interrupted) killed mid-way, identity changed \(changed) times, unchanged \(unchanged), never broken unless reported; leftover temporary files after \(leftovers.count) runs\(leftovers.isEmpty ? "" : ": \(leftovers.suffix(3))")")
                #expect(interrupted >= 5, "too few renewals were actually interrupted (\(interrupted)) for the test to mean anything")

                // The agent still works from this directory: a renewal, then a run that answers.
                let renew = try await ztagentCLI(["renew", "--state", state])
                #expect(renew.status == 0, "renew after the kills: \(renew)")
                let agent = try await scope.startEnrolledAgent(state: state)
                for transport in [[], ["+tcp"]] as [[String]] {
                    let answer = try await Dig.query(IdentityFixture.privateName, server: agent.port(transport), options: transport)
                    #expect(answer.responseCode == "NOERROR" && answer.answers.map(\.data) == [IdentityFixture.privateAddress], "\(transport): \(answer)")
                }
                #expect(running.process.isRunning)
            }
        }
    }
}
