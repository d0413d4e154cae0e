import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

// Helpers for the identity-and-trust tests (issue 3): a server made with `ztserver init` whose
// API address is a real port (it is written into tokens), tokens, `ztagent enroll`, an agent run
// from its state directory, and checks of the identity file with openssl.

/// A server state directory made by `ztserver init`, with the addresses it was given.
struct EnrollmentServerState {
    let state: String
    let apiPort: Int
    let dotPort: Int
    /// Where tokens are written (a sibling directory of the state, 0700).
    let tokens: String
}

/// A `ztserver run` of an ``EnrollmentServerState``.
struct RunningEnrollmentServer {
    let process: Spawned
    let dotPort: Int
    let apiPort: Int
    /// The `ztserver listening ...` line (tunnel=, metrics=, ...).
    let listeningLine: String
}

/// The outcome of one `ztagent` command run to completion.
struct ToolRun: CustomStringConvertible {
    let status: Int32
    let stdout: String
    let stderr: String
    let duration: TimeInterval

    var description: String { "exit \(self.status) in \(String(format: "%.2f", self.duration)) s; stdout: \(self.stdout.prefix(1000)); stderr: \(self.stderr.prefix(2000))" }

    /// The non-empty lines of standard error.
    var errorLines: [String] { self.stderr.split(separator: "\n").map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty } }
}

/// The private zone every identity test uses: `db.corp.test` (and friends) for CN `laptop`.
enum IdentityFixture {
    static let zone = "corp.test"
    static let endpoint = "laptop"
    static let privateName = "db.corp.test"
    static let privateAddress = "203.0.113.50"
    /// More private names in the same zone (each answered with its own address), for tests that need
    /// names the agent has never cached.
    static let extraNames: [(owner: String, address: String)] = (1...40).map { ("n\($0)", "198.51.100.\($0)") }
}

extension TestScope {
    /// `ztserver init` with real free ports for DoT and the API (both are written into tokens
    /// and configs), then the fixture zone allowing `laptop`.
    func initEnrollmentServer(
        _ label: String, apiPort: Int? = nil, certificateLifetime: Int? = nil, upstreamPort: Int? = nil, addZone: Bool = true
    ) async throws -> EnrollmentServerState {
        let work = try self.temporaryDirectory(label)
        let state = "\(work)/server"
        let tokens = "\(work)/tokens"
        try FileManager.default.createDirectory(atPath: tokens, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let api = try apiPort ?? Ports.free()
        var dot = try Ports.free()
        while dot == api { dot = try Ports.free() }
        var arguments = [
            "init", "--state", state, "--server-name", "ztserver.test", "--router-address", IdentityFixture.privateAddress,
            "--dot-listen", "127.0.0.1:\(dot)", "--api-listen", "127.0.0.1:\(api)",
        ]
        if let certificateLifetime { arguments += ["--certificate-lifetime", "\(certificateLifetime)"] }
        if let upstreamPort { arguments += ["--upstream", "dns", "--upstream-server", "127.0.0.1:\(upstreamPort)"] }
        try await ztserverCLI(arguments)
        if addZone {
            var zone = ["zone", "add", IdentityFixture.zone, "--state", state, "--record", "db A \(IdentityFixture.privateAddress)"]
            for extra in IdentityFixture.extraNames { zone += ["--record", "\(extra.owner) A \(extra.address)"] }
            zone += ["--allow", IdentityFixture.endpoint]
            try await ztserverCLI(zone)
        }
        return EnrollmentServerState(state: state, apiPort: api, dotPort: dot, tokens: tokens)
    }

    /// `ztserver run` on the ports given at init; returns once it printed its listening line.
    func startEnrollmentServer(_ server: EnrollmentServerState, extraArguments: [String] = []) async throws -> RunningEnrollmentServer {
        let child = try self.start(try Peers.ztserver(), [
            "run", "--state", server.state, "--dot-listen", "127.0.0.1:\(server.dotPort)", "--api-listen", "127.0.0.1:\(server.apiPort)",
            "--tunnel-listen", "127.0.0.1:0",
        ] + extraArguments)
        let line = try await child.waitForLine(startingWith: "ztserver listening", timeout: 20)
        let dot = try Ports.parse("dot", in: line)
        let api = try Ports.parse("api", in: line)
        guard dot == server.dotPort, api == server.apiPort else {
            throw HarnessError("ztserver bound dot=\(dot) api=\(api), expected \(server.dotPort) and \(server.apiPort): \(line)")
        }
        return RunningEnrollmentServer(process: child, dotPort: dot, apiPort: api, listeningLine: line)
    }

    /// `ztagent run --state DIR --listen 127.0.0.1:P` (P probed free); returns once it listens.
    func startEnrolledAgent(state: String, extraArguments: [String] = []) async throws -> RunningAgent {
        var lastError: Error?
        for _ in 0..<3 {
            let port = try Ports.free()
            let child = try self.start(try Peers.ztagent(), ["run", "--state", state, "--listen", "127.0.0.1:\(port)"] + extraArguments)
            do {
                let line = try await child.waitForLine(startingWith: "ztagent listening", timeout: 20)
                return RunningAgent(process: child, udpPort: try Ports.parse("udp", in: line), tcpPort: try Ports.parse("tcp", in: line))
            } catch {
                guard child.standardError.contains("cannot listen") else { throw error }
                lastError = error
            }
        }
        throw lastError ?? HarnessError("ztagent did not start")
    }
}

extension EnrollmentServerState {
    /// `ztserver token create`; writes the token to a new file and returns its path.
    /// `replace`: a token for a name that is already an endpoint (re-enrollment).
    func createToken(name: String = IdentityFixture.endpoint, ttl: Int? = nil, replace: Bool = false) async throws -> String {
        var arguments = ["token", "create", "--state", self.state, "--name", name, "--kind", "client"]
        if replace { arguments.append("--replace") }
        if let ttl { arguments += ["--ttl", "\(ttl)"] }
        let token = try await ztserverCLI(arguments).trimmingCharacters(in: .whitespacesAndNewlines)
        guard token.split(separator: ".").count == 3 else { throw HarnessError("token create printed no JWT: \(token.prefix(300))") }
        let path = "\(self.tokens)/\(name)-\(UUID().uuidString.prefix(8)).jwt"
        try (token + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Changes fields of server.json (before `ztserver run`).
    func editSettings(_ changes: [String: Any]) throws {
        let path = "\(self.state)/server.json"
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw HarnessError("\(path) is not a JSON object")
        }
        for (key, value) in changes { object[key] = value }
        let encoded = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        try encoded.write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// `ztserver endpoint list` lines.
    func endpointList() async throws -> [String] {
        try await ztserverCLI(["endpoint", "list", "--state", self.state]).split(separator: "\n").map(String.init)
    }

    /// `ztserver token list` lines.
    func tokenList() async throws -> [String] {
        try await ztserverCLI(["token", "list", "--state", self.state]).split(separator: "\n").map(String.init)
    }
}

/// Runs a ztagent subcommand to completion.
func ztagentCLI(_ arguments: [String], timeout: TimeInterval = 30) async throws -> ToolRun {
    let start = Date()
    let result = try await runTool(try Peers.ztagent(), arguments, timeout: timeout)
    return ToolRun(status: result.status, stdout: result.stdout, stderr: result.stderr, duration: Date().timeIntervalSince(start))
}

/// `ztagent enroll --token FILE --state DIR [--force]`.
func enroll(token: String, state: String, force: Bool = false) async throws -> ToolRun {
    try await ztagentCLI(["enroll", "--token", token, "--state", state] + (force ? ["--force"] : []))
}

// MARK: - The identity file, checked with openssl

/// What an identity file (key + certificate in one PEM file) holds, as openssl reads it.
enum IdentityFileState: Equatable, CustomStringConvertible {
    case absent
    /// Key and certificate load and belong together.
    case valid(serial: String)
    /// Anything else: empty, truncated, key and certificate that do not match...
    case broken(String)

    var description: String {
        switch self {
        case .absent: return "absent"
        case .valid(let serial): return "valid (serial \(serial))"
        case .broken(let why): return "BROKEN: \(why)"
        }
    }

    var serial: String? { if case .valid(let serial) = self { return serial }; return nil }
}

enum IdentityInspector {
    static func openssl() throws -> String { try PeerTool.require("openssl") }

    /// Loads the key and the certificate with openssl and compares their public keys.
    static func inspect(_ path: String) async throws -> IdentityFileState {
        guard FileManager.default.fileExists(atPath: path) else { return .absent }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        if size == 0 { return .broken("empty file") }
        let openssl = try self.openssl()
        let key = try await runTool(openssl, ["pkey", "-in", path, "-pubout"], timeout: 20)
        guard key.status == 0, key.stdout.contains("BEGIN PUBLIC KEY") else {
            return .broken("openssl pkey cannot load the key (\(size) bytes): \(key.stderr.prefix(300))")
        }
        let certificate = try await runTool(openssl, ["x509", "-in", path, "-noout", "-pubkey", "-serial"], timeout: 20)
        guard certificate.status == 0, certificate.stdout.contains("BEGIN PUBLIC KEY") else {
            return .broken("openssl x509 cannot load the certificate (\(size) bytes): \(certificate.stderr.prefix(300))")
        }
        let certificateKey = certificate.stdout.split(separator: "\n").filter { !$0.hasPrefix("serial=") }.joined(separator: "\n")
        guard certificateKey.trimmingCharacters(in: .whitespacesAndNewlines) == key.stdout.trimmingCharacters(in: .whitespacesAndNewlines) else {
            return .broken("the key does not match the certificate")
        }
        guard let serialLine = certificate.stdout.split(separator: "\n").first(where: { $0.hasPrefix("serial=") }) else {
            return .broken("no serial: \(certificate.stdout.prefix(300))")
        }
        return .valid(serial: String(serialLine.dropFirst("serial=".count)))
    }

    /// `openssl verify -CAfile CA FILE`: the certificate in the identity file chains to the CA.
    static func verifies(_ path: String, ca: String) async throws -> Bool {
        let result = try await runTool(try self.openssl(), ["verify", "-CAfile", ca, path], timeout: 20)
        return result.status == 0 && result.stdout.contains(": OK")
    }

    /// The certificate's CN (`openssl x509 -noout -subject`).
    static func subject(_ path: String) async throws -> String {
        let result = try await runTool(try self.openssl(), ["x509", "-in", path, "-noout", "-subject", "-nameopt", "RFC2253"], timeout: 20)
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The private key as it could appear elsewhere: the PEM body (base64, lines joined, and
    /// each 64-character line), the DER bytes, and the raw 32-byte P-256 scalar (bytes and hex).
    static func keyFingerprints(_ path: String) async throws -> KeyMaterial {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard let begin = text.range(of: "-----BEGIN PRIVATE KEY-----"),
              let end = text.range(of: "-----END PRIVATE KEY-----", range: begin.upperBound..<text.endIndex)
        else { throw HarnessError("\(path) holds no PRIVATE KEY block") }
        let lines = text[begin.upperBound..<end.lowerBound].split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let body = lines.joined()
        guard let der = Data(base64Encoded: body) else { throw HarnessError("\(path): the key's PEM body is not base64") }
        // The scalar, as openssl prints it ("priv:" then hex bytes separated by colons).
        let printed = try await runTool(try self.openssl(), ["pkey", "-in", path, "-noout", "-text"], timeout: 20)
        var scalarHex = ""
        var inPriv = false
        for line in printed.stdout.split(separator: "\n") {
            if line.hasPrefix("priv:") { inPriv = true; continue }
            if inPriv {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.contains(":") && trimmed.allSatisfy({ $0.isHexDigit || $0 == ":" }) {
                    scalarHex += trimmed.replacingOccurrences(of: ":", with: "")
                } else {
                    break
                }
            }
        }
        // openssl may print a leading 00 byte.
        while scalarHex.count > 64 && scalarHex.hasPrefix("00") { scalarHex.removeFirst(2) }
        guard scalarHex.count == 64 else { throw HarnessError("cannot read the P-256 scalar from openssl: \(printed.stdout.prefix(500)) \(printed.stderr.prefix(300))") }
        var scalar: [UInt8] = []
        var index = scalarHex.startIndex
        while index < scalarHex.endIndex {
            let next = scalarHex.index(index, offsetBy: 2)
            scalar.append(UInt8(scalarHex[index..<next], radix: 16)!)
            index = next
        }
        return KeyMaterial(base64Body: body, base64Lines: lines, der: Array(der), scalar: scalar, scalarHex: scalarHex)
    }
}

/// Representations of one private key, to look for in other files.
struct KeyMaterial {
    let base64Body: String
    let base64Lines: [String]
    let der: [UInt8]
    let scalar: [UInt8]
    let scalarHex: String

    /// The byte patterns to search for (each long enough not to match by chance).
    var needles: [(label: String, bytes: [UInt8])] {
        var needles: [(String, [UInt8])] = [
            ("PEM body", Array(self.base64Body.utf8)),
            ("DER", self.der),
            ("raw scalar", self.scalar),
            ("scalar hex", Array(self.scalarHex.utf8)),
            ("scalar HEX", Array(self.scalarHex.uppercased().utf8)),
            ("scalar base64", Array(Data(self.scalar).base64EncodedString().utf8)),
        ]
        for (index, line) in self.base64Lines.enumerated() where line.count >= 40 {
            needles.append(("PEM body line \(index + 1)", Array(line.utf8)))
        }
        return needles
    }

    /// The needles found in `bytes`.
    func found(in bytes: [UInt8]) -> [String] {
        self.needles.filter { bytes.containsSubsequence($0.bytes) }.map(\.label)
    }
}

extension Array where Element == UInt8 {
    func containsSubsequence(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= self.count else { return needle.isEmpty }
        let first = needle[0]
        var index = 0
        let last = self.count - needle.count
        return self.withUnsafeBufferPointer { haystack in
            needle.withUnsafeBufferPointer { pattern in
                while index <= last {
                    if haystack[index] == first && memcmp(haystack.baseAddress! + index, pattern.baseAddress!, pattern.count) == 0 { return true }
                    index += 1
                }
                return false
            }
        }
    }
}

enum StateFiles {
    /// Every regular file under `directory` (recursively), with its bytes.
    static func all(under directory: String) throws -> [(path: String, bytes: [UInt8])] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { throw HarnessError("cannot list \(directory)") }
        var files: [(String, [UInt8])] = []
        while let relative = enumerator.nextObject() as? String {
            let path = "\(directory)/\(relative)"
            var info = stat()
            guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            files.append((path, Array(try Data(contentsOf: URL(fileURLWithPath: path)))))
        }
        return files
    }

    /// Names of files in `directory` (not recursive) that look like leftover temporary files.
    static func temporaryFiles(in directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.contains(".tmp") || $0.hasPrefix(".write-test") }
    }

    /// Permission bits of `path`.
    static func mode(_ path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o7777
    }
}

extension Spawned {
    /// Counts lines of standard error containing `text`.
    func errorLines(containing text: String) -> [String] {
        self.standardError.split(separator: "\n").filter { $0.contains(text) }.map(String.init)
    }
}

/// A uniformly random delay in `0...maximum` milliseconds.
func randomMilliseconds(_ maximum: Int) -> Int { Int.random(in: 0...maximum) }
