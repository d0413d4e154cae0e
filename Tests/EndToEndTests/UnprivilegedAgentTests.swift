import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

extension EndToEnd {
    /// ztagent as the installed unit runs it: not root. CI runs as root, which hid that every
    /// upstream connect set SO_DEBUG (`.socketOption(.tcp_nodelay)`), refused without
    /// CAP_NET_ADMIN: an unprivileged agent answered nothing private.
    @Suite("Unprivileged ztagent and static-mode SIGHUP")
    struct UnprivilegedAgent {
        /// A static-mode setup: ztserver with zones a.corp (laptop-1) and b.corp (laptop-2),
        /// and an agent config presenting laptop-1 from identity files agent.pem/agent.key.
        struct StaticSetup {
            let work: String
            let identities: String
            let server: RunningServer
            let config: String
        }

        static func staticSetup(_ scope: TestScope, label: String) async throws -> StaticSetup {
            let work = try scope.temporaryDirectory(label)
            let state = "\(work)/state"
            let identities = "\(work)/identities"
            try await ztserverCLI(["init", "--state", state, "--server-name", "ztserver.test", "--router-address", "203.0.113.50", "--dot-listen", "127.0.0.1:0"])
            for name in ["laptop-1", "laptop-2"] {
                try await ztserverCLI(["endpoint", "issue", name, "--state", state, "--out", identities])
            }
            try await ztserverCLI(["zone", "add", "a.corp", "--state", state, "--record", "db A 198.51.100.1", "--allow", "laptop-1"])
            try await ztserverCLI(["zone", "add", "b.corp", "--state", state, "--record", "db A 198.51.100.2", "--allow", "laptop-2"])
            let server = try await scope.startServer(state: state)
            try Self.useIdentity("laptop-1", in: identities)
            let config = try writeAgentConfig(in: identities, certificate: "agent.pem", key: "agent.key", ca: "ca.pem", serverPorts: [server.dotPort])
            return StaticSetup(work: work, identities: identities, server: server, config: config)
        }

        /// Puts `name`'s certificate and key in place as agent.pem / agent.key (renamed over the
        /// old ones, as a renewal tool would), keeping the files' owner and mode 0600.
        static func useIdentity(_ name: String, in directory: String) throws {
            for (source, target) in [("\(name).pem", "agent.pem"), ("\(name).key", "agent.key")] {
                let data = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(source)"))
                let temporary = "\(directory)/.\(target).new"
                FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600])
                var info = stat()
                if stat(directory, &info) == 0 { _ = chown(temporary, info.st_uid, info.st_gid) }
                guard rename(temporary, "\(directory)/\(target)") == 0 else { throw HarnessError("rename \(temporary): errno \(errno)") }
            }
        }

        /// Hands `directory` and everything in it to `user` (nobody), so the agent can read its files.
        static func chownTree(_ directory: String, to user: String) async throws {
            let result = try await runTool("/bin/chown", ["-R", "\(user):", directory])
            guard result.status == 0 else { throw HarnessError("chown -R \(user) \(directory): \(result.stderr)") }
        }

        @Test("ztagent as nobody (setpriv, no capabilities): private and hidden answers over DoT, UDP and TCP")
        func unprivilegedAgentAnswersOverDoT() async throws {
            guard geteuid() == 0 else {
                print("SKIP unprivilegedAgentAnswersOverDoT: needs root to start ztagent as another user (CI runs as root)")
                return
            }
            let setpriv = try PeerTool.require("setpriv")
            try await TestScope.run { scope in
                let setup = try await Self.staticSetup(scope, label: "nobody")
                // A copy of the binary in the work directory: the checkout may sit where nobody
                // cannot reach (a clone under /root, say).
                let binary = "\(setup.work)/ztagent"
                try FileManager.default.copyItem(atPath: try Peers.ztagent(), toPath: binary)
                // The agent's files (and the directories above them) are nobody's, as the
                // installed unit's state is ztagent's.
                try await Self.chownTree(setup.work, to: "nobody")
                let agent = try await scope.startAgent(config: setup.config, launcher: [
                    setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--",
                ], executable: binary)
                let status = try String(contentsOfFile: "/proc/\(agent.process.processIdentifier)/status", encoding: .utf8)
                let uidLine = status.split(separator: "\n").first { $0.hasPrefix("Uid:") } ?? ""
                #expect(uidLine.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().allSatisfy { $0 == "65534" }, "agent not running as nobody: \(uidLine)")

                for transport in [[], ["+tcp"]] as [[String]] {
                    let allowed = try await Dig.query("db.a.corp", server: agent.port(transport), options: transport)
                    #expect(allowed.answers.map(\.data) == ["198.51.100.1"], "\(transport) db.a.corp: \(allowed)")
                    let hidden = try await Dig.query("db.b.corp", server: agent.port(transport), options: transport)
                    #expect(hidden.answers.isEmpty && hidden.responseCode != "NOERROR", "\(transport) db.b.corp: \(hidden)")
                }
                #expect(!agent.process.standardError.contains("Permission denied"), "\(agent.process.standardError.suffix(2000))")
                #expect(agent.process.isRunning)
            }
        }

        @Test("static mode: SIGHUP reloads the identity files and the agent keeps running")
        func staticModeSighupReloads() async throws {
            try await TestScope.run { scope in
                let setup = try await Self.staticSetup(scope, label: "sighup")
                let agent = try await scope.startAgent(config: setup.config)

                let before = try await Dig.query("db.a.corp", server: agent.udpPort)
                #expect(before.answers.map(\.data) == ["198.51.100.1"], "laptop-1 db.a.corp: \(before)")
                let hiddenBefore = try await Dig.query("db.b.corp", server: agent.udpPort)
                #expect(hiddenBefore.answers.isEmpty && hiddenBefore.responseCode != "NOERROR", "laptop-1 must not see b.corp: \(hiddenBefore)")

                // A new identity in the files, then SIGHUP: the agent now presents laptop-2.
                try Self.useIdentity("laptop-2", in: setup.identities)
                kill(agent.process.processIdentifier, SIGHUP)
                let reloaded = try await agent.process.waitForStandardError(containing: "SIGHUP: identity reloaded", timeout: 10)
                #expect(reloaded.contains("laptop-2"), "reload line: \(reloaded)")
                #expect(agent.process.isRunning, "SIGHUP ended the static-mode agent with \(agent.process.exitStatus ?? -1)")

                var after = try await Dig.query("db.b.corp", server: agent.udpPort)
                let deadline = Date().addingTimeInterval(10)
                while after.answers.isEmpty && Date() < deadline {
                    try await Task.sleep(for: .milliseconds(200))
                    after = try await Dig.query("db.b.corp", server: agent.udpPort)
                }
                #expect(after.answers.map(\.data) == ["198.51.100.2"], "after SIGHUP (laptop-2) db.b.corp: \(after)")
                let oldZone = try await Dig.query("db.a.corp", server: agent.udpPort)
                #expect(oldZone.answers.isEmpty && oldZone.responseCode != "NOERROR", "laptop-2 must not see a.corp (cache emptied): \(oldZone)")

                // A second SIGHUP with unusable files: logged, the agent keeps serving as laptop-2.
                try "not a certificate".write(toFile: "\(setup.identities)/agent.pem", atomically: true, encoding: .utf8)
                kill(agent.process.processIdentifier, SIGHUP)
                _ = try await agent.process.waitForStandardError(containing: "SIGHUP: cannot reload the identity", timeout: 10)
                #expect(agent.process.isRunning)
                let still = try await Dig.query("db.b.corp", server: agent.udpPort)
                #expect(still.answers.map(\.data) == ["198.51.100.2"], "after a failed reload: \(still)")
            }
        }
    }
}
