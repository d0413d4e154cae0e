import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

extension EndToEnd {
    /// Issue 3: an enrolled agent refuses to start on a key or a state directory others can read.
    @Suite("Identity permissions: ztagent run --state refuses loose modes")
    struct IdentityPermissions {
        /// `ztagent run --state DIR` expected to refuse: returns its standard error.
        static func refusedRun(_ scope: TestScope, state: String) async throws -> String {
            let agent = try scope.start(try Peers.ztagent(), ["run", "--state", state, "--listen", "127.0.0.1:\(try Ports.free())"])
            let status = try await agent.waitForExit(timeout: 20)
            #expect(status != 0, "ztagent started: \(agent.standardOutput) \(agent.standardError)")
            #expect(!agent.standardOutput.contains("listening"), "\(agent.standardOutput)")
            let lines = agent.standardError.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            #expect(lines.count == 1, "one clear line expected: \(agent.standardError)")
            return agent.standardError
        }

        @Test("a 0644 (or 0640) identity.pem and a 0755 (or 0750) state directory are refused, naming the file and its mode")
        func looseModesRefused() async throws {
            try await TestScope.run { scope in
                let server = try await scope.initEnrollmentServer("perm")
                _ = try await scope.startEnrollmentServer(server)
                let state = "\(try scope.temporaryDirectory("perm-agent"))/state"
                let enrolled = try await enroll(token: try await server.createToken(), state: state)
                #expect(enrolled.status == 0, "enroll: \(enrolled)")
                let identity = "\(state)/identity.pem"

                for mode in [0o644, 0o640, 0o604] as [mode_t] {
                    #expect(chmod(identity, mode) == 0)
                    let message = try await Self.refusedRun(scope, state: state)
                    let octal = "0" + String(mode, radix: 8)
                    #expect(message.contains(identity), "the message must name \(identity): \(message)")
                    #expect(message.contains(octal), "the message must give the mode \(octal): \(message)")
                }
                #expect(chmod(identity, 0o600) == 0)

                for mode in [0o755, 0o750, 0o701] as [mode_t] {
                    #expect(chmod(state, mode) == 0)
                    let message = try await Self.refusedRun(scope, state: state)
                    let octal = "0" + String(mode, radix: 8)
                    #expect(message.contains(state), "the message must name the directory \(state): \(message)")
                    #expect(message.contains(octal), "the message must give the mode \(octal): \(message)")
                    #expect(!message.contains("identity.pem"), "the directory is at fault, not the key: \(message)")
                }
                #expect(chmod(state, 0o700) == 0)

                // Control: with 0600 and 0700 the same state directory runs and answers.
                let agent = try await scope.startEnrolledAgent(state: state)
                let answer = try await Dig.query(IdentityFixture.privateName, server: agent.udpPort)
                #expect(answer.answers.map(\.data) == [IdentityFixture.privateAddress], "\(answer)")
            }
        }
    }
}
