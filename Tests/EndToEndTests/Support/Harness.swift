import Foundation
import NIOConcurrencyHelpers
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The end-to-end suites share one parent so that nothing runs in parallel: they start real
/// processes, and the failover test measures latencies that a parallel neighbour would disturb.
@Suite("End to end (real ztserver, ztagent, dig, kdig, dnsmasq)", .serialized)
enum EndToEnd {}

/// Errors raised by the harness itself (as opposed to expectation failures).
struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Everything a test starts: processes are stopped and directories removed when the test ends,
/// whether it passed, failed or threw.
final class TestScope: @unchecked Sendable {
    private let lock = NIOLock()
    private var processes: [Spawned] = []
    private var directories: [String] = []

    /// Runs `body` with a fresh scope and tears it down afterwards, even on error. When `body`
    /// throws, the standard error of every process it started is attached to the failure.
    static func run<T>(_ body: (TestScope) async throws -> T) async throws -> T {
        let scope = TestScope()
        do {
            let result = try await body(scope)
            await scope.tearDown()
            return result
        } catch {
            let logs = scope.logs()
            await scope.tearDown()
            throw HarnessError("\(error)\n--- process logs ---\n\(logs)")
        }
    }

    /// A new private temporary directory (removed at the end).
    func temporaryDirectory(_ label: String) throws -> String {
        var base = NSTemporaryDirectory()
        while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
        let path = "\(base)/zt-e2e-\(label)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        self.adopt(directory: path)
        return path
    }

    func adopt(directory: String) {
        self.lock.withLock { self.directories.append(directory) }
    }

    /// Starts a process that lives until the end of the test (or until the test stops it).
    func start(_ executable: String, _ arguments: [String]) throws -> Spawned {
        let child = try Spawned(executable, arguments)
        self.lock.withLock { self.processes.append(child) }
        return child
    }

    /// The tail of every process's standard error, for failure messages.
    func logs() -> String {
        self.lock.withLock { self.processes }.map { child in
            "$ \(child.commandLine)\n\(child.standardError.suffix(3000))"
        }.joined(separator: "\n")
    }

    private func tearDown() async {
        let (processes, directories) = self.lock.withLock { (self.processes, self.directories) }
        for child in processes.reversed() { await child.terminate() }
        for directory in directories { try? FileManager.default.removeItem(atPath: directory) }
    }
}

// MARK: - Ports

enum Ports {
    /// A port number on 127.0.0.1 that was free a moment ago for both TCP and UDP (each probed
    /// with a plain bind, no SO_REUSEADDR, so a port any other socket holds is never chosen).
    static func free() throws -> Int {
        for _ in 0..<50 {
            let tcp = try self.bindSocket(type: Int32(SOCK_STREAM.rawValue), port: 0, reuseAddress: false)
            defer { close(tcp.descriptor) }
            if let udp = try? self.bindSocket(type: Int32(SOCK_DGRAM.rawValue), port: tcp.port, reuseAddress: false) {
                close(udp.descriptor)
                return tcp.port
            }
        }
        throw HarnessError("no port free for both TCP and UDP after 50 tries")
    }

    /// Binds a socket of `type` on 127.0.0.1:`port` (0: any); the caller closes the descriptor.
    static func bindSocket(type: Int32, port: Int, reuseAddress: Bool) throws -> (descriptor: Int32, port: Int) {
        let descriptor = socket(AF_INET, type, 0)
        guard descriptor >= 0 else { throw HarnessError("socket() failed: errno \(errno)") }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        if reuseAddress {
            var one: Int32 = 1
            setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            let code = errno
            close(descriptor)
            throw HarnessError("bind(127.0.0.1:\(port)) failed: errno \(code)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else {
            let code = errno
            close(descriptor)
            throw HarnessError("getsockname() failed: errno \(code)")
        }
        return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// The port after "key=IP:" in a line such as `ztserver listening dot=127.0.0.1:40123`.
    static func parse(_ key: String, in line: String) throws -> Int {
        for word in line.split(separator: " ") where word.hasPrefix("\(key)=") {
            if let colon = word.lastIndex(of: ":"), let port = Int(word[word.index(after: colon)...]) { return port }
        }
        throw HarnessError("no \(key)=IP:PORT in '\(line)'")
    }
}

// MARK: - Peers and products

enum Peers {
    static func dig() throws -> String { try PeerTool.require("dig") }
    static func kdig() throws -> String { try PeerTool.require("kdig") }
    static func dnsmasq() throws -> String { try PeerTool.require("dnsmasq") }
    static func ztserver() throws -> String { try BuiltProducts.executable("ztserver") }
    static func ztagent() throws -> String { try BuiltProducts.executable("ztagent") }
}

/// Runs a program to completion, failing the test (by throwing) when it does not finish in time.
func runTool(_ executable: String, _ arguments: [String], timeout: TimeInterval = 30) async throws -> (status: Int32, stdout: String, stderr: String) {
    try await Spawned.run(executable, arguments, timeout: timeout)
}

/// Runs `ztserver <arguments>` and requires success.
@discardableResult
func ztserverCLI(_ arguments: [String]) async throws -> String {
    let result = try await runTool(try Peers.ztserver(), arguments)
    guard result.status == 0 else {
        throw HarnessError("ztserver \(arguments.joined(separator: " ").prefix(300)) exited \(result.status): \(result.stderr)")
    }
    return result.stdout
}

// MARK: - Real processes

struct RunningServer {
    let process: Spawned
    let dotPort: Int
}

struct RunningAgent {
    let process: Spawned
    let udpPort: Int
    let tcpPort: Int

    /// The port dig must use with these options (`+tcp` or not): with 127.0.0.1:0 the stub's
    /// UDP and TCP listeners get different ephemeral ports.
    func port(_ digOptions: [String]) -> Int { digOptions.contains("+tcp") ? self.tcpPort : self.udpPort }
}

extension TestScope {
    /// Starts dnsmasq on a free port, answering `public.test` (and below) with 192.0.2.10 and
    /// nothing else; returns once it answers.
    func startDnsmasq() async throws -> (process: Spawned, port: Int) {
        let dnsmasq = try Peers.dnsmasq()
        var lastError = ""
        for _ in 0..<5 {
            let port = try Ports.free()
            let child = try self.start(dnsmasq, [
                "-k", "-p", "\(port)", "--listen-address=127.0.0.1", "--bind-interfaces",
                "--no-resolv", "--no-hosts", "--address=/public.test/192.0.2.10",
                "--log-facility=-", "--pid-file=",
            ])
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline && child.isRunning {
                let probe = try await Dig.query("public.test", server: port, options: ["+time=1"])
                if probe.answers.contains(where: { $0.type == "A" && $0.data == "192.0.2.10" }) { return (child, port) }
                try await Task.sleep(for: .milliseconds(100))
            }
            lastError = child.standardError
            await child.terminate()
        }
        throw HarnessError("dnsmasq did not start: \(lastError)")
    }

    /// `ztserver run --state DIR --dot-listen 127.0.0.1:0`; returns once it printed its port.
    func startServer(state: String, extraArguments: [String] = []) async throws -> RunningServer {
        let child = try self.start(try Peers.ztserver(), ["run", "--state", state, "--dot-listen", "127.0.0.1:0", "--api-listen", "127.0.0.1:0", "--tunnel-listen", "127.0.0.1:0"] + extraArguments)
        let line = try await child.waitForLine(startingWith: "ztserver listening", timeout: 20)
        return RunningServer(process: child, dotPort: try Ports.parse("dot", in: line))
    }

    /// `ztagent run --config FILE --listen 127.0.0.1:P`; returns once it printed its ports.
    ///
    /// P is a port probed free for both UDP and TCP, not 0: given 0, the stub takes the port
    /// TCP got and binds UDP to the same number with SO_REUSEADDR and SO_REUSEPORT, so it can
    /// silently share a UDP port with another program on this machine (see
    /// Hygiene.agentRefusesBusyUDPPort).
    ///
    /// `launcher` goes before the agent's command line (`setpriv --reuid=nobody ... --` to run it
    /// as another user; the launcher must exec the agent, so the process is the agent's), and
    /// `executable` replaces the built ztagent (a copy another user can reach).
    func startAgent(config: String, launcher: [String] = [], executable: String? = nil) async throws -> RunningAgent {
        var lastError: Error?
        for _ in 0..<3 {
            let port = try Ports.free()
            let command = launcher + [try executable ?? Peers.ztagent(), "run", "--config", config, "--listen", "127.0.0.1:\(port)"]
            let child = try self.start(command[0], Array(command.dropFirst()))
            do {
                let line = try await child.waitForLine(startingWith: "ztagent listening", timeout: 20)
                return RunningAgent(process: child, udpPort: try Ports.parse("udp", in: line), tcpPort: try Ports.parse("tcp", in: line))
            } catch {
                // Someone took the port between the probe and the bind: try another.
                guard child.standardError.contains("cannot listen") else { throw error }
                lastError = error
            }
        }
        throw lastError ?? HarnessError("ztagent did not start")
    }
}

/// Writes an agent configuration (JSON) and returns its path.
func writeAgentConfig(
    in directory: String, certificate: String, key: String, ca: String, serverPorts: [Int],
    serverName: String = "ztserver.test", upstreamTimeoutSeconds: Double = 1, listen: String = "127.0.0.1:0"
) throws -> String {
    let object: [String: Any] = [
        "listen": [listen],
        "identity": ["certificate": certificate, "key": key],
        "ca": ca,
        "servers": serverPorts.map { ["address": "127.0.0.1:\($0)", "name": serverName] },
        "upstreamTimeoutSeconds": upstreamTimeoutSeconds,
    ]
    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    let path = "\(directory)/agent.json"
    try data.write(to: URL(fileURLWithPath: path))
    return path
}

// MARK: - dig and kdig

/// One resource record line of dig/kdig output.
struct DigRecord: CustomStringConvertible {
    let name: String
    let ttl: Int
    let type: String
    let data: String

    var description: String { "\(self.name) \(self.ttl) \(self.type) \(self.data)" }

    /// The character strings of a TXT record's presentation form (`"abc" "def"`).
    var txtStrings: [String] {
        var strings: [String] = []
        var current = ""
        var inQuotes = false
        var iterator = self.data.makeIterator()
        while let character = iterator.next() {
            if inQuotes && character == "\\" {
                // \X or \DDD
                guard let next = iterator.next() else { break }
                if next.isNumber, let second = iterator.next(), let third = iterator.next(),
                   let value = UInt8(String([next, second, third])) {
                    current.append(Character(Unicode.Scalar(value)))
                } else {
                    current.append(next)
                }
            } else if character == "\"" {
                if inQuotes { strings.append(current); current = "" }
                inQuotes.toggle()
            } else if inQuotes {
                current.append(character)
            }
        }
        return strings
    }
}

/// The parsed output of one dig or kdig run.
struct DigResult: CustomStringConvertible {
    let exitStatus: Int32
    let output: String
    let standardError: String
    let duration: TimeInterval

    /// NOERROR, NXDOMAIN, SERVFAIL... (nil when no answer was received).
    var responseCode: String? {
        guard let range = self.output.range(of: "status: ") else { return nil }
        let rest = self.output[range.upperBound...]
        return String(rest.prefix { $0.isLetter })
    }

    /// Header flags (qr, aa, tc, rd, ra...), lowercased.
    var flags: Set<String> {
        for line in self.output.split(separator: "\n") where line.lowercased().hasPrefix(";; flags:") {
            let text = line.dropFirst(";; flags:".count).prefix { $0 != ";" }
            return Set(text.split(separator: " ").map { $0.lowercased() })
        }
        return []
    }

    /// The raw lines of a section ("QUESTION", "ANSWER", "AUTHORITY").
    func sectionLines(_ name: String) -> [String] {
        var lines: [String] = []
        var inside = false
        for line in self.output.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(";; \(name) SECTION:") { inside = true; continue }
            if inside {
                if line.trimmingCharacters(in: .whitespaces).isEmpty || line.hasPrefix(";;") { break }
                lines.append(String(line))
            }
        }
        return lines
    }

    var question: [String] { self.sectionLines("QUESTION") }
    var answers: [DigRecord] { self.sectionLines("ANSWER").compactMap(Self.record) }
    var authorities: [DigRecord] { self.sectionLines("AUTHORITY").compactMap(Self.record) }

    private static func record(_ line: String) -> DigRecord? {
        // name TTL class type data...  (whitespace separated; data is the rest of the line)
        var rest = Substring(line)
        func word() -> String? {
            rest = rest.drop { $0 == " " || $0 == "\t" }
            guard !rest.isEmpty else { return nil }
            let word = rest.prefix { $0 != " " && $0 != "\t" }
            rest = rest.dropFirst(word.count)
            return String(word)
        }
        guard let name = word(), let ttlText = word(), let ttl = Int(ttlText), let _ = word(), let type = word() else { return nil }
        let data = rest.drop { $0 == " " || $0 == "\t" }
        return DigRecord(name: name, ttl: ttl, type: type, data: String(data))
    }

    var description: String {
        "exit \(self.exitStatus) in \(String(format: "%.2f", self.duration)) s\n\(self.output.prefix(4000))\(self.standardError.isEmpty ? "" : "\nstderr: \(self.standardError.prefix(2000))")"
    }
}

enum Dig {
    /// `dig @127.0.0.1 -p PORT NAME TYPE +time=3 +tries=1 [options]`.
    static func query(_ name: String, type: String = "A", server port: Int, options: [String] = []) async throws -> DigResult {
        try await self.run(try Peers.dig(), ["@127.0.0.1", "-p", "\(port)", name, type, "+time=3", "+tries=1"] + options)
    }

    /// `kdig @127.0.0.1 -p PORT +tls ... NAME TYPE` (TLS with optional client certificate).
    static func kdigTLS(_ name: String, type: String = "A", server port: Int, ca: String, hostname: String, certificate: String?, key: String?, options: [String] = []) async throws -> DigResult {
        var arguments = ["@127.0.0.1", "-p", "\(port)", "+tls", "+tls-ca=\(ca)", "+tls-hostname=\(hostname)", "+time=3", "+retry=0"]
        if let certificate, let key { arguments += ["+tls-certfile=\(certificate)", "+tls-keyfile=\(key)"] }
        return try await self.run(try Peers.kdig(), arguments + options + [name, type])
    }

    /// `dig +tls ... @127.0.0.1 -p PORT NAME TYPE` (BIND's DoT client with a client certificate).
    static func digTLS(_ name: String, type: String = "A", server port: Int, ca: String, hostname: String, certificate: String?, key: String?, options: [String] = []) async throws -> DigResult {
        var arguments = ["@127.0.0.1", "-p", "\(port)", "+tls", "+tls-ca=\(ca)", "+tls-hostname=\(hostname)", "+time=3", "+tries=1"]
        if let certificate, let key { arguments += ["+tls-certfile=\(certificate)", "+tls-keyfile=\(key)"] }
        return try await self.run(try Peers.dig(), arguments + options + [name, type])
    }

    private static func run(_ executable: String, _ arguments: [String]) async throws -> DigResult {
        let start = Date()
        let result = try await runTool(executable, arguments, timeout: 20)
        return DigResult(exitStatus: result.status, output: result.stdout, standardError: result.stderr, duration: Date().timeIntervalSince(start))
    }
}
