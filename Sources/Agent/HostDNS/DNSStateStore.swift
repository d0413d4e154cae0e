import Crypto
import Foundation

/// The state file (`dns-state.json`) and the resolv.conf backup, in the agent's state directory.
public struct DNSStateStore: Sendable {
    public let environment: any HostEnvironment
    /// The agent's state directory (default /var/lib/ztagent).
    public let directory: String

    /// Creates a store in `directory`.
    public init(environment: any HostEnvironment, directory: String = "/var/lib/ztagent") {
        self.environment = environment
        self.directory = directory
    }

    public var statePath: String { "\(self.directory)/dns-state.json" }
    public var backupPath: String { "\(self.directory)/dns-resolv.conf.orig" }

    /// The recorded state; nil when nothing is applied. An unreadable file is an error (never
    /// silently treated as "nothing applied": that is how a second backup would overwrite the first).
    public func load() throws -> DNSIntegrationState? {
        guard let bytes = try self.environment.readFile(self.statePath) else { return nil }
        do {
            return try JSONDecoder().decode(DNSIntegrationState.self, from: Data(bytes))
        } catch {
            throw HostDNSError.inconsistentState("\(self.statePath) is unreadable (\(error)); fix or remove it by hand after checking /etc/resolv.conf")
        }
    }

    /// Writes the state atomically (0644: it holds no secret, and the unprivileged agent reads it).
    public func save(_ state: DNSIntegrationState) throws {
        try self.environment.createDirectory(self.directory, mode: 0o700)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(state)
        try self.environment.writeFile(self.statePath, bytes: Array(data) + [10], mode: 0o644)
    }

    /// Removes the state file and the backup.
    public func clear() throws {
        try self.environment.removeFile(self.backupPath)
        try self.environment.removeFile(self.statePath)
    }

    /// SHA-256 in lowercase hex.
    public static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { byte in
            let text = String(byte, radix: 16)
            return text.count == 1 ? "0" + text : text
        }.joined()
    }
}
