import Crypto
import Foundation
import Testing
import TestSupport

extension EndToEnd {
    /// Issue 18, the server's side: bad operator input to the real `ztserver` binary gets one
    /// line (`Error: …`, exit 1) that names what is wrong, and changes nothing on disk.
    @Suite("Operator input (ztserver): one clear line, nothing half-written")
    struct ServerOperatorInput {
        struct Outcome: CustomStringConvertible {
            let status: Int32
            let stdout: String
            let stderr: String
            var lines: [String] { self.stderr.split(separator: "\n").map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty } }
            var description: String { "exit \(self.status); stdout: \(self.stdout.prefix(400)); stderr: \(self.stderr.prefix(1200))" }
        }

        static func ztserver(_ arguments: [String]) async throws -> Outcome {
            let result = try await runTool(try Peers.ztserver(), arguments)
            return Outcome(status: result.status, stdout: result.stdout, stderr: result.stderr)
        }

        /// Expects a refusal: exit 1 and exactly one stderr line `Error: …` containing `words`.
        static func expectRefused(_ outcome: Outcome, _ words: String, status: Int32 = 1, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(outcome.status == status, "\(outcome)", sourceLocation: sourceLocation)
            #expect(outcome.lines.count == 1, "one line expected: \(outcome)", sourceLocation: sourceLocation)
            #expect(outcome.lines.first?.hasPrefix("Error: ") == true && outcome.stderr.contains(words), "expected '\(words)': \(outcome)", sourceLocation: sourceLocation)
        }

        /// Every file under `directory` with a digest of its bytes. The registry is compared by
        /// what it holds (opening SQLite checkpoints its log into the file, which changes bytes
        /// but not content): endpoints, tokens, zones and routes as the CLI lists them.
        static func state(_ directory: String) async throws -> [String: String] {
            var result = Self.tree(directory).filter { !$0.key.hasPrefix("registry.sqlite") }
            for listing in [["endpoint", "list"], ["token", "list"], ["zone", "list"], ["route", "list", "--json"]] {
                let outcome = try await Self.ztserver(listing + ["--state", directory])
                result[listing.joined(separator: " ")] = "\(outcome.status) \(outcome.stdout)"
            }
            return result
        }

        /// Every file under `directory` with a digest of its bytes.
        static func tree(_ directory: String) -> [String: String] {
            var result: [String: String] = [:]
            guard let paths = FileManager.default.subpaths(atPath: directory) else { return result }
            for path in paths {
                let full = "\(directory)/\(path)"
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
                let data = (try? Data(contentsOf: URL(fileURLWithPath: full))) ?? Data()
                result[path] = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
            }
            return result
        }

        @Test("a refused init leaves no state behind, and the next init works")
        func refusedInitWritesNothing() async throws {
            try await TestScope.run { scope in
                let work = try scope.temporaryDirectory("init-refusals")
                let state = "\(work)/server"
                let base = ["init", "--state", state, "--dot-listen", "127.0.0.1:0"]
                let cases: [([String], String)] = [
                    (["--certificate-lifetime", "9223372036854775807"], "between 60 and 315360000"),
                    (["--certificate-lifetime", "99999999999999"], "between 60 and 315360000"),
                    (["--certificate-lifetime", "59"], "between 60 and 315360000"),
                    (["--certificate-lifetime", "-5"], "between 60 and 315360000"),
                    (["--server-name", "bad name!"], "not a valid server name"),
                    (["--upstream", "dns"], "needs at least one upstream server"),
                    (["--upstream", "dot"], "needs at least one upstream server"),
                    (["--upstream", "dns", "--upstream-server", "not-an-address"], "not-an-address"),
                    (["--router-address", "nowhere"], "not an IP address"),
                ]
                for (extra, words) in cases {
                    let outcome = try await Self.ztserver(base + extra)
                    Self.expectRefused(outcome, words)
                    let left = (try? FileManager.default.contentsOfDirectory(atPath: work)) ?? []
                    #expect(left.isEmpty, "init \(extra) left \(left) behind")
                }
                let good = try await Self.ztserver(base)
                #expect(good.status == 0, "\(good)")
                #expect(FileManager.default.fileExists(atPath: "\(state)/ca.key"))
                #expect(((try? FileManager.default.contentsOfDirectory(atPath: work)) ?? []) == ["server"], "no staging directory left")
                // A second init is refused and changes nothing.
                let before = try await Self.state(state)
                Self.expectRefused(try await Self.ztserver(base), "already holds a CA")
                #expect(try await Self.state(state) == before)
            }
        }

        @Test("durations are bounded where they are parsed, and nothing is written")
        func boundedDurations() async throws {
            try await TestScope.run { scope in
                let server = try await scope.initEnrollmentServer("durations")
                let before = try await Self.state(server.state)
                let out = try scope.temporaryDirectory("issued")
                Self.expectRefused(try await Self.ztserver(["endpoint", "issue", "host-a", "--out", out, "--lifetime", "99999999999999", "--state", server.state]), "between 60 and 315360000")
                Self.expectRefused(try await Self.ztserver(["endpoint", "issue", "host-a", "--out", out, "--lifetime", "-5", "--state", server.state]), "between 60 and 315360000")
                Self.expectRefused(try await Self.ztserver(["token", "create", "--name", "host-b", "--ttl", "99999999999999", "--state", server.state]), "between 1 and 31536000")
                Self.expectRefused(try await Self.ztserver(["token", "create", "--name", "host-b", "--ttl", "0", "--state", server.state]), "between 1 and 31536000")
                #expect(try await Self.state(server.state) == before, "a refused command wrote to the state")
                #expect(((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []).isEmpty)

                // server.json with an absurd lifetime: `run` refuses to start, naming the field.
                try server.editSettings(["endpointCertificateLifetimeSeconds": 9_223_372_036_854_775_807 as Int])
                let run = try await Self.ztserver(["run", "--state", server.state, "--dot-listen", "127.0.0.1:0", "--api-listen", "127.0.0.1:0", "--tunnel-listen", "127.0.0.1:0"])
                #expect(run.status == 1 && run.lines.last?.hasPrefix("Error: endpointCertificateLifetimeSeconds must be between") == true, "\(run)")
            }
        }

        @Test("existing names need --replace: routes and endpoints; disallow of a CN not listed is refused")
        func replaceAndDisallow() async throws {
            try await TestScope.run { scope in
                let server = try await scope.initEnrollmentServer("replace")
                let state = ["--state", server.state]
                let add = ["route", "add", "--name", "db", "--service-cn", "s-db", "--target", "192.0.2.10:5432", "--domain", "db.\(IdentityFixture.zone)"] + state
                #expect(try await Self.ztserver(add).status == 0)
                let before = try await Self.state(server.state)
                let changed = ["route", "add", "--name", "db", "--service-cn", "s-db", "--target", "192.0.2.99:6543", "--domain", "db.\(IdentityFixture.zone)"] + state
                Self.expectRefused(try await Self.ztserver(changed), "route db exists; pass --replace")
                #expect(try await Self.state(server.state) == before)
                let replaced = try await Self.ztserver(changed + ["--replace"])
                #expect(replaced.status == 0 && replaced.stdout.contains("route db replaced: target 192.0.2.10:5432 -> 192.0.2.99:6543"), "\(replaced)")

                // Bad names and dial modes: one line, from the subcommand.
                Self.expectRefused(try await Self.ztserver(["route", "add", "--name", "bad name", "--service-cn", "s-db", "--target", "192.0.2.10:1", "--domain", "x.\(IdentityFixture.zone)"] + state), "not a valid route name")
                Self.expectRefused(try await Self.ztserver(["route", "add", "--name", String(repeating: "r", count: 300), "--service-cn", "s-db", "--target", "192.0.2.10:1", "--domain", "x.\(IdentityFixture.zone)"] + state), "not a valid route name")
                let dial = try await Self.ztserver(["route", "add", "--name", "x", "--service-cn", "s-db", "--target", "192.0.2.10:1", "--domain", "x.\(IdentityFixture.zone)", "--dial", "teleport"] + state)
                Self.expectRefused(dial, "teleport", status: 64)  // EX_USAGE: a value the option does not take
                #expect(!dial.stderr.contains("USAGE") && !dial.stderr.contains("Usage"), "no usage text: \(dial)")

                // Endpoints: issue of an existing name is refused unless --replace, which says what changes.
                let out = try scope.temporaryDirectory("issue-out")
                #expect(try await Self.ztserver(["endpoint", "issue", "host-a", "--out", out] + state).status == 0)
                try await ztserverCLI(["endpoint", "revoke", "host-a"] + state)
                let beforeIssue = try await Self.state(server.state)
                let files = Self.tree(out)
                Self.expectRefused(try await Self.ztserver(["endpoint", "issue", "host-a", "--kind", "service", "--out", out] + state), "exists; pass --replace")
                #expect(try await Self.state(server.state) == beforeIssue, "the revoked endpoint was not reactivated")
                #expect(Self.tree(out) == files, "no file was written by the refused issue")
                let listed = try await server.endpointList()
                #expect(listed.contains { $0.hasPrefix("host-a\tclient\trevoked") }, "\(listed)")
                let reissued = try await Self.ztserver(["endpoint", "issue", "host-a", "--kind", "service", "--out", out, "--replace"] + state)
                #expect(reissued.status == 0 && reissued.stdout.contains("kind changes from client to service"), "\(reissued)")

                // zone disallow of a CN not on the list.
                let beforeZone = try await Self.state(server.state)
                Self.expectRefused(try await Self.ztserver(["zone", "disallow", IdentityFixture.zone, "nobody"] + state), "'nobody' is not on zone")
                #expect(try await Self.state(server.state) == beforeZone)
            }
        }

        @Test("a record no DNS message can hold is refused at zone add")
        func oversizedRecord() async throws {
            try await TestScope.run { scope in
                let server = try await scope.initEnrollmentServer("oversize", addZone: false)
                let before = try await Self.state(server.state)
                let huge = (0..<260).map { _ in "\"" + String(repeating: "x", count: 255) + "\"" }.joined(separator: " ")
                Self.expectRefused(try await Self.ztserver(["zone", "add", "big.test", "--record", "@ TXT \(huge)", "--state", server.state]), "more than a DNS message holds")
                #expect(try await Self.state(server.state) == before)
                // Just under the limit is accepted.
                let large = (0..<240).map { _ in "\"" + String(repeating: "y", count: 255) + "\"" }.joined(separator: " ")
                #expect(try await Self.ztserver(["zone", "add", "big.test", "--record", "@ TXT \(large)", "--state", server.state]).status == 0)
            }
        }

        @Test("a listener that cannot bind names its address; the listening line brackets IPv6")
        func bindErrorsNameTheAddress() async throws {
            try await TestScope.run { scope in
                let server = try await scope.initEnrollmentServer("bind")
                let running = try await scope.startEnrollmentServer(server)
                // The DoT port is taken by the running server.
                let second = try await Self.ztserver(["run", "--state", server.state, "--dot-listen", "127.0.0.1:\(running.dotPort)", "--api-listen", "127.0.0.1:0", "--tunnel-listen", "127.0.0.1:0"])
                #expect(second.status != 0)
                #expect(second.stderr.contains("Error: cannot listen for DoT on 127.0.0.1:\(running.dotPort): Address already in use"), "\(second)")
                let metrics = try await Self.ztserver(["run", "--state", server.state, "--dot-listen", "127.0.0.1:0", "--api-listen", "127.0.0.1:0", "--tunnel-listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:\(running.apiPort)"])
                #expect(metrics.stderr.contains("cannot serve metrics on 127.0.0.1:\(running.apiPort):") || metrics.stderr.contains("cannot listen for metrics on 127.0.0.1:\(running.apiPort)"), "\(metrics)")

                // IPv6 loopback, where the machine has it.
                let v6 = try scope.start(try Peers.ztserver(), ["run", "--state", server.state, "--dot-listen", "[::1]:0", "--api-listen", "127.0.0.1:0", "--tunnel-listen", "127.0.0.1:0"])
                if let line = try? await v6.waitForLine(startingWith: "ztserver listening", timeout: 10) {
                    #expect(line.contains("dot=[::1]:"), "\(line)")
                    await v6.terminate()
                    #expect(!v6.standardError.contains("Already closed"), "SIGTERM logged a shutdown error: \(v6.standardError.suffix(800))")
                } else {
                    print("[operator-input] no IPv6 loopback here: \(v6.standardError.prefix(300))")
                }
            }
        }

        @Test("the API answers unknown routes, wrong methods and non-JSON bodies with JSON errors")
        func apiErrorsAreJSON() async throws {
            try await TestScope.run { scope in
                let server = try await scope.initEnrollmentServer("api-errors")
                _ = try await scope.startEnrollmentServer(server)
                let ca = "\(server.state)/ca.pem"
                func curl(_ arguments: [String]) async throws -> (status: Int, contentType: String, body: String, headers: String) {
                    let result = try await runTool(try PeerTool.require("curl"), ["-sS", "--max-time", "10", "--cacert", ca, "-D", "-", "-w", "\n%{http_code} %{content_type}"] + arguments)
                    let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
                    let last = (lines.last ?? "").split(separator: " ", maxSplits: 1)
                    return (Int(last.first ?? "") ?? -1, last.count > 1 ? String(last[1]) : "", lines.dropLast().joined(separator: "\n"), result.stdout)
                }
                let base = "https://127.0.0.1:\(server.apiPort)"
                let unknown = try await curl(["\(base)/v1/nothing"])
                #expect(unknown.status == 404 && unknown.contentType.hasPrefix("application/json") && unknown.body.contains("\"code\":\"not_found\""), "\(unknown)")
                let method = try await curl(["-X", "DELETE", "\(base)/v1/ca"])
                #expect(method.status == 405 && method.body.contains("\"code\":\"method_not_allowed\"") && method.headers.lowercased().contains("allow: get"), "\(method)")
                let text = try await curl(["-X", "POST", "-H", "Content-Type: text/plain", "--data", "{\"token\":\"x\",\"csr\":\"y\"}", "\(base)/v1/enroll"])
                #expect(text.status == 415 && text.body.contains("\"code\":\"unsupported_media_type\""), "\(text)")
                let json = try await curl(["-X", "POST", "-H", "Content-Type: application/json", "--data", "{\"token\":\"x\",\"csr\":\"y\"}", "\(base)/v1/enroll"])
                #expect(json.status == 401 && json.body.contains("token_invalid"), "a JSON body is parsed: \(json)")

                // A CSR whose self-signature is broken: the answer says the signature, not "not a CSR".
                let work = try scope.temporaryDirectory("csr")
                let token = try String(contentsOfFile: try await server.createToken(name: "csr-host"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
                let request = try await runTool(try IdentityInspector.openssl(), [
                    "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=csr-host",
                    "-keyout", "\(work)/key.pem", "-out", "\(work)/csr.pem",
                ])
                #expect(request.status == 0, "\(request.stderr)")
                for (label, python) in [
                    ("last byte of the signature changed", "der[-1] ^= 0x55"),
                    ("signature replaced by bytes that are no ECDSA signature", "der[-20:] = bytes([0xAA]) * 20"),
                ] {
                    let script = """
                        import base64, json, sys
                        pem = open(sys.argv[1]).read().strip().splitlines()
                        der = bytearray(base64.b64decode("".join(pem[1:-1])))
                        \(python)
                        text = base64.b64encode(bytes(der)).decode()
                        body = "".join(text[i:i + 64] + "\\n" for i in range(0, len(text), 64))
                        print(json.dumps({"token": sys.argv[2], "csr": "-----BEGIN CERTIFICATE REQUEST-----\\n" + body + "-----END CERTIFICATE REQUEST-----\\n"}))
                        """
                    let made = try await runTool(try PeerTool.require("python3"), ["-c", script, "\(work)/csr.pem", token])
                    try made.stdout.write(toFile: "\(work)/body.json", atomically: true, encoding: .utf8)
                    let answer = try await curl(["-X", "POST", "-H", "Content-Type: application/json", "--data-binary", "@\(work)/body.json", "\(base)/v1/enroll"])
                    #expect(answer.status == 400 && answer.body.contains("csr_invalid") && answer.body.contains("signature does not verify"), "\(label): \(answer)")
                }
                #expect(try await server.tokenList().allSatisfy { $0.contains("unused") }, "a refused CSR spent the token")
            }
        }
    }
}
