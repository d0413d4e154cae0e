import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

extension EndToEnd {
    /// Issue 18, agent side: bad operator input to the real `ztagent` binary gets one clear line
    /// naming the thing and a non-zero exit, never a crash, a hang or a usage dump, and changes
    /// nothing on disk.
    @Suite("Agent operator input: one clear line, no crash, nothing changed")
    struct AgentOperatorInput {
        // MARK: helpers

        /// Requires exactly one non-empty line on standard error, starting with `prefix`, and
        /// no usage text or crash report anywhere.
        static func expectOneLine(_ run: ToolRun, exit: Int32 = 1, startsWith prefix: String, _ comment: String = "") {
            #expect(run.status == exit, "exit \(run.status), expected \(exit) \(comment): \(run)")
            #expect(run.errorLines.count == 1, "expected one line on standard error \(comment): \(run)")
            #expect(run.errorLines.first?.hasPrefix(prefix) == true, "expected '\(prefix)…' \(comment): \(run)")
            #expect(!run.stderr.contains("Usage:") && !run.stderr.contains("USAGE:"), "usage text in a refusal \(comment): \(run)")
            #expect(!run.stderr.contains("Fatal error") && !run.stderr.contains("NSCocoaErrorDomain") && !run.stderr.contains("DecodingError"),
                    "a crash or a raw error dump \(comment): \(run)")
        }

        /// Every file under `directory` with its bytes (to compare before and after a refusal).
        static func snapshot(_ directory: String) throws -> [String: [UInt8]] {
            var files: [String: [UInt8]] = [:]
            for entry in try FileManager.default.subpathsOfDirectory(atPath: directory) {
                let path = "\(directory)/\(entry)"
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                    files[entry] = []  // a socket or other special file: present, no bytes
                    continue
                }
                files[entry] = isDirectory.boolValue ? [] : Array((try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data())
            }
            return files
        }

        /// A static-mode agent.json in `work` whose control socket is given relative to the file.
        static func staticConfig(in work: String, fixture: ServerFixture, controlSocket: String) throws -> String {
            let laptop = try fixture.issue("laptop-\(UUID().uuidString.prefix(6).lowercased())")
            let path = try writeAgentConfig(in: work, certificate: laptop.certificatePath, key: laptop.keyPath, ca: fixture.caPath, serverPorts: [853])
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw HarnessError("\(path) is not JSON") }
            object["controlSocket"] = controlSocket
            try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: path))
            return path
        }

        /// A Unix stream socket that accepts connections (through the kernel's backlog) and never
        /// answers; the caller closes the descriptor.
        static func silentUnixListener(at path: String) throws -> Int32 {
            let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            guard descriptor >= 0 else { throw HarnessError("socket(AF_UNIX): errno \(errno)") }
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { close(descriptor); throw HarnessError("path too long: \(path)") }
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (index, byte) in bytes.enumerated() { raw[index] = byte }
            }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard bound == 0, listen(descriptor, 8) == 0 else {
                let code = errno
                close(descriptor)
                throw HarnessError("bind/listen \(path): errno \(code)")
            }
            return descriptor
        }

        // MARK: 1. status when nothing answers

        @Test("ztagent status without a running agent: one line naming the socket, exit 1, no crash")
        func statusWithoutAgent() async throws {
            try await TestScope.run { scope in
                let empty = try scope.temporaryDirectory("status-empty")
                let missing = "/nonexistent-\(UUID().uuidString.prefix(8))"
                let cases: [(arguments: [String], path: String)] = [
                    (["status", "--state", missing], "\(missing)/control.sock"),
                    (["status", "--socket", "\(missing).sock"], "\(missing).sock"),
                    (["status", "--socket", ""], "''"),
                    (["status", "--state", empty], "\(empty)/control.sock"),
                    (["status", "--state", empty, "--json"], "\(empty)/control.sock"),
                ]
                for (arguments, path) in cases {
                    let run = try await ztagentCLI(arguments, timeout: 15)
                    Self.expectOneLine(run, startsWith: "Error: no running agent at \(path) (", "for \(arguments)")
                    #expect(run.errorLines.first?.hasSuffix(")") == true, "\(arguments): \(run)")
                    #expect(run.stdout.isEmpty, "\(arguments): \(run)")
                }
                #expect(try FileManager.default.contentsOfDirectory(atPath: empty).isEmpty, "status wrote into the state directory")
            }
        }

        @Test("ztagent status against a stale control socket (agent killed with SIGKILL): one line, exit 1")
        func statusWithStaleSocket() async throws {
            try await TestScope.run { scope in
                let fixture = try ServerFixture()
                scope.adopt(directory: fixture.directory)
                let work = try scope.temporaryDirectory("status-stale")
                let config = try Self.staticConfig(in: work, fixture: fixture, controlSocket: "control.sock")
                let agent = try await scope.startAgent(config: config)
                let socket = "\(work)/control.sock"
                let alive = try await ztagentCLI(["status", "--socket", socket, "--json"], timeout: 15)
                #expect(alive.status == 0, "status of a running agent: \(alive)")
                await agent.process.terminate(signal: SIGKILL)
                #expect(FileManager.default.fileExists(atPath: socket), "SIGKILL should leave the socket behind")
                let run = try await ztagentCLI(["status", "--socket", socket], timeout: 15)
                Self.expectOneLine(run, startsWith: "Error: no running agent at \(socket) (")
                #expect(run.errorLines.first?.contains("refused") == true, "the reason (connection refused) must be said: \(run)")
            }
        }

        @Test("ztagent status against a socket that never answers: says it timed out, exit 1")
        func statusWithSilentSocket() async throws {
            try await TestScope.run { scope in
                let work = try scope.temporaryDirectory("status-silent")
                let path = "\(work)/control.sock"
                let listener = try Self.silentUnixListener(at: path)
                defer { close(listener) }
                let run = try await ztagentCLI(["status", "--socket", path], timeout: 20)
                Self.expectOneLine(run, startsWith: "Error: no answer from the control socket \(path) within 5 s")
                #expect(!run.stderr.contains("JSON"), "a timeout is not a JSON problem: \(run)")
                #expect(run.duration >= 4.5 && run.duration < 15, "\(run)")
            }
        }

        // MARK: 10. --state and --config

        @Test("ztagent run --state X --config Y is refused with one line, before anything is written")
        func runRefusesStateAndConfig() async throws {
            try await TestScope.run { scope in
                let fixture = try ServerFixture()
                scope.adopt(directory: fixture.directory)
                let work = try scope.temporaryDirectory("run-both")
                let config = try Self.staticConfig(in: work, fixture: fixture, controlSocket: "control.sock")
                let state = try scope.temporaryDirectory("run-both-state")
                let before = try Self.snapshot(work)
                let run = try await ztagentCLI(["run", "--state", state, "--config", config, "--listen", "127.0.0.1:\(try Ports.free())"], timeout: 15)
                Self.expectOneLine(run, startsWith: "Error: --state and --config cannot be combined: ")
                #expect(!run.stdout.contains("listening"), "\(run)")
                #expect(try Self.snapshot(work) == before, "the refusal changed files in \(work)")
                #expect(try FileManager.default.contentsOfDirectory(atPath: state).isEmpty, "the refusal wrote into \(state)")
            }
        }

        // MARK: 11. controlSocket relative to agent.json

        @Test("agent.json's relative controlSocket is relative to the file, not the working directory")
        func controlSocketRelativeToConfigFile() async throws {
            try await TestScope.run { scope in
                let fixture = try ServerFixture()
                scope.adopt(directory: fixture.directory)
                let work = try scope.temporaryDirectory("control-relative")
                let name = "ctl-\(UUID().uuidString.prefix(8)).sock"
                let config = try Self.staticConfig(in: work, fixture: fixture, controlSocket: name)
                let inWorkingDirectory = FileManager.default.currentDirectoryPath + "/" + name
                defer { unlink(inWorkingDirectory) }
                #expect(FileManager.default.currentDirectoryPath != work)
                let agent = try await scope.startAgent(config: config)
                let deadline = Date().addingTimeInterval(5)
                while !FileManager.default.fileExists(atPath: "\(work)/\(name)") && Date() < deadline {
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(FileManager.default.fileExists(atPath: "\(work)/\(name)"), "no control socket beside agent.json")
                #expect(!FileManager.default.fileExists(atPath: inWorkingDirectory), "the control socket went to the working directory")
                let run = try await ztagentCLI(["status", "--socket", "\(work)/\(name)", "--json"], timeout: 15)
                #expect(run.status == 0, "\(run)")
                #expect(run.stdout.contains("\"identity\""), "\(run)")
                await agent.process.terminate()
            }
        }

        // MARK: 15. one clear line

        @Test("ztagent config refresh without a running agent: one line, exit 1, no usage text")
        func configRefreshWithoutAgent() async throws {
            try await TestScope.run { scope in
                let state = try scope.temporaryDirectory("refresh")
                let missing = try await ztagentCLI(["config", "refresh", "--state", state])
                Self.expectOneLine(missing, startsWith: "Error: no running agent: cannot read \(state)/agent.pid (No such file or directory)")

                try "not a pid\n".write(toFile: "\(state)/agent.pid", atomically: true, encoding: .utf8)
                let garbage = try await ztagentCLI(["config", "refresh", "--state", state])
                Self.expectOneLine(garbage, startsWith: "Error: no running agent: \(state)/agent.pid does not hold a process id")

                // A pid no process has (above the kernel's pid_max on any default system).
                try "4194304\n".write(toFile: "\(state)/agent.pid", atomically: true, encoding: .utf8)
                let stale = try await ztagentCLI(["config", "refresh", "--state", state])
                Self.expectOneLine(stale, startsWith: "Error: cannot signal the agent (pid 4194304 from \(state)/agent.pid): ")
                #expect(try String(contentsOfFile: "\(state)/agent.pid", encoding: .utf8) == "4194304\n")
            }
        }

        @Test("a missing config.jwt or a garbage signing-keys.json: one line naming the file, nothing changed")
        func brokenStateFiles() async throws {
            try await TestScope.run { scope in
                let server = try await scope.initEnrollmentServer("state-files")
                let running = try await scope.startEnrollmentServer(server)
                let token = try await server.createToken()
                let state = try scope.temporaryDirectory("state-files-agent")
                let enrolled = try await enroll(token: token, state: state)
                #expect(enrolled.status == 0, "\(enrolled)")
                await running.process.terminate()

                let paths = (config: "\(state)/config.jwt", keys: "\(state)/signing-keys.json")
                let config = try Data(contentsOf: URL(fileURLWithPath: paths.config))
                try FileManager.default.removeItem(atPath: paths.config)
                var before = try Self.snapshot(state)
                for arguments in [["run", "--state", state, "--listen", "127.0.0.1:\(try Ports.free())"], ["renew", "--state", state]] {
                    let run = try await ztagentCLI(arguments, timeout: 20)
                    Self.expectOneLine(run, startsWith: "Error: cannot read \(paths.config): No such file or directory", "for \(arguments[0])")
                    #expect(try Self.snapshot(state) == before, "\(arguments[0]) changed the state directory")
                }
                try config.write(to: URL(fileURLWithPath: paths.config))

                try Data("{ this is not json".utf8).write(to: URL(fileURLWithPath: paths.keys))
                before = try Self.snapshot(state)
                for arguments in [["run", "--state", state, "--listen", "127.0.0.1:\(try Ports.free())"], ["renew", "--state", state]] {
                    let run = try await ztagentCLI(arguments, timeout: 20)
                    Self.expectOneLine(run, startsWith: "Error: \(paths.keys) is not a JSON object of pinned signing keys", "for \(arguments[0])")
                    #expect(try Self.snapshot(state) == before, "\(arguments[0]) changed the state directory")
                }
            }
        }

        @Test("an unreadable agent.json: one line naming the file")
        func brokenAgentConfiguration() async throws {
            try await TestScope.run { scope in
                let work = try scope.temporaryDirectory("agent-json")
                let missing = try await ztagentCLI(["run", "--config", "\(work)/agent.json"], timeout: 15)
                Self.expectOneLine(missing, startsWith: "Error: cannot read \(work)/agent.json: No such file or directory")
                try Data("[1, 2".utf8).write(to: URL(fileURLWithPath: "\(work)/agent.json"))
                let garbage = try await ztagentCLI(["run", "--config", "\(work)/agent.json"], timeout: 15)
                Self.expectOneLine(garbage, startsWith: "Error: \(work)/agent.json is not a valid agent configuration: ")
                try Data(#"{"listen": 53}"#.utf8).write(to: URL(fileURLWithPath: "\(work)/agent.json"))
                let mistyped = try await ztagentCLI(["run", "--config", "\(work)/agent.json"], timeout: 15)
                Self.expectOneLine(mistyped, startsWith: "Error: \(work)/agent.json is not a valid agent configuration: expected ")
                #expect(mistyped.errorLines.first?.contains("listen") == true, "the field must be named: \(mistyped)")
            }
        }

        // MARK: 16. dns status and watch-network

        @Test("ztagent dns status with an unreadable state file exits non-zero with one line; the file is left alone")
        func dnsStatusUnreadableState() async throws {
            try await TestScope.run { scope in
                // The record directory must be root's (the agent never writes it): CI runs as root.
                guard getuid() == 0 else {
                    print("skipped: dns status reads a record directory that must be root's; run as root (CI does)")
                    return
                }
                let state = try scope.temporaryDirectory("dns-status")
                let record = try scope.temporaryDirectory("dns-status-record")
                // Only reads the host's resolver files: safe without a scratch root.
                let arguments = ["dns", "status", "--state-dir", state, "--record-dir", record]
                let clean = try await ztagentCLI(arguments)
                #expect(clean.status == 0, "control: nothing applied is a clean status: \(clean)")

                let garbage = Array("{ half a state".utf8)
                let file = "\(record)/dns-state.json"
                try Data(garbage).write(to: URL(fileURLWithPath: file))
                #expect(chmod(file, 0o644) == 0)
                for extra in [[], ["--json"]] {
                    let run = try await ztagentCLI(arguments + extra)
                    #expect(run.status == 1, "\(extra): \(run)")
                    #expect(run.errorLines.count == 1, "\(extra): \(run)")
                    #expect(run.errorLines.first?.hasPrefix("Error: ") == true && run.errorLines.first?.contains(file) == true, "\(extra): \(run)")
                    #expect(!run.stderr.contains("Usage"), "\(extra): \(run)")
                }
                #expect(Array(try Data(contentsOf: URL(fileURLWithPath: file))) == garbage)
            }
        }

        @Test("ztagent dns watch-network refuses a non-positive --seconds instead of running for ever")
        func watchNetworkRefusesNonPositiveSeconds() async throws {
            for value in ["0", "-1", "nan"] {
                let run = try await ztagentCLI(["dns", "watch-network", "--seconds", value], timeout: 10)
                Self.expectOneLine(run, startsWith: "Error: --seconds \(value): must be a positive number of seconds", "for \(value)")
                #expect(run.duration < 5, "\(run)")
            }
            let debounce = try await ztagentCLI(["dns", "watch-network", "--seconds", "1", "--debounce", "-5"], timeout: 10)
            Self.expectOneLine(debounce, startsWith: "Error: --debounce -5: must be 0 to 60000 milliseconds")
        }
    }
}
