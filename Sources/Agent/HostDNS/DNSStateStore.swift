import Crypto
import Foundation

/// The DNS integration record (`dns-state.json`) and the resolv.conf backup, in root's own
/// directory (default /var/lib/ztagent-root, root:root 0755).
///
/// `ztagent dns apply` and `revert` run as root, so the record must never be something the
/// unprivileged agent can write: it lives outside the agent's /var/lib/ztagent, and when running as
/// root the store refuses a directory or file that is not root's, is writable by group or others,
/// or is a symbolic link (`lstat`, never followed). Every field read back is then checked by
/// ``DNSRecordValidator`` before anything uses it. It is under /var/lib, not /run, because direct
/// mode's edited /etc/resolv.conf survives a reboot and so must its backup.
public struct DNSStateStore: Sendable {
    public let environment: any HostEnvironment
    /// The record directory.
    public let directory: String
    /// The link names a record may name (see ``DNSRecordValidator/linkNames``).
    public var linkNames: Set<String>

    /// Root's record directory on a real host.
    public static let rootDirectory = "/var/lib/ztagent-root"

    /// Creates a store in `directory`.
    public init(environment: any HostEnvironment, directory: String = DNSStateStore.rootDirectory, linkNames: Set<String> = ["zt0"]) {
        self.environment = environment
        self.directory = directory
        self.linkNames = linkNames
    }

    public var statePath: String { "\(self.directory)/dns-state.json" }
    public var backupPath: String { "\(self.directory)/dns-resolv.conf.orig" }

    /// The validator for records of this store.
    public var validator: DNSRecordValidator {
        DNSRecordValidator(linkNames: self.linkNames, backupPath: self.backupPath)
    }

    /// True when the checks of root's trust apply (the process runs as root).
    var enforcesOwnership: Bool { self.environment.effectiveUserID == 0 }

    /// Refuses `path` unless it is a `kind` owned by root and not writable by group or others
    /// (only as root; `lstat`, so a symbolic link is refused, not followed). Nil status passes.
    func checkTrusted(_ path: String, kind: HostFileKind, field: String) throws {
        guard self.enforcesOwnership, let status = self.environment.status(path) else { return }
        guard status.kind == kind else {
            throw HostDNSError.untrustedRecord(field: field, reason: "\(path) is a \(status.kind.rawValue), not a \(kind.rawValue)")
        }
        guard status.uid == 0 else {
            throw HostDNSError.untrustedRecord(field: field, reason: "\(path) is owned by uid \(status.uid), not root")
        }
        guard status.mode & 0o022 == 0 else {
            throw HostDNSError.untrustedRecord(field: field, reason: "\(path) is writable by group or others (mode 0\(String(status.mode, radix: 8)))")
        }
    }

    /// The recorded state; nil when nothing is applied. An unreadable file is an error (never
    /// silently treated as "nothing applied": that is how a second backup would overwrite the first),
    /// and so is one that is not root's (as root) or holds a field the agent would not have written.
    public func load() throws -> DNSIntegrationState? {
        try self.checkTrusted(self.directory, kind: .directory, field: "record directory")
        try self.checkTrusted(self.statePath, kind: .regular, field: "record file")
        guard let bytes = try self.environment.readFile(self.statePath) else { return nil }
        let state: DNSIntegrationState
        do {
            state = try JSONDecoder().decode(DNSIntegrationState.self, from: Data(bytes))
        } catch {
            throw HostDNSError.inconsistentState("\(self.statePath) is unreadable (\(error)); fix or remove it by hand after checking /etc/resolv.conf")
        }
        try self.validator.validate(state)
        return state
    }

    /// The backup's bytes (nil when missing), refused as root unless it is root's regular file.
    public func readBackup() throws -> [UInt8]? {
        try self.checkTrusted(self.directory, kind: .directory, field: "record directory")
        try self.checkTrusted(self.backupPath, kind: .regular, field: "backup file")
        return try self.environment.readFile(self.backupPath)
    }

    /// Writes the backup (0644: a copy of the public resolv.conf).
    public func writeBackup(_ bytes: [UInt8]) throws {
        try self.prepareDirectory()
        try self.environment.writeFile(self.backupPath, bytes: bytes, mode: 0o644)
    }

    /// Creates the record directory (0755: the agent reads the original nameservers for fail-open)
    /// and refuses one that is not root's.
    func prepareDirectory() throws {
        try self.environment.createDirectory(self.directory, mode: 0o755)
        try self.checkTrusted(self.directory, kind: .directory, field: "record directory")
    }

    /// Writes the state atomically (0644: it holds no secret, and the unprivileged agent reads it).
    public func save(_ state: DNSIntegrationState) throws {
        try self.prepareDirectory()
        try self.checkTrusted(self.statePath, kind: .regular, field: "record file")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(state)
        try self.environment.writeFile(self.statePath, bytes: Array(data) + [10], mode: 0o644)
    }

    /// Removes the state file and the backup.
    public func clear() throws {
        try self.checkTrusted(self.directory, kind: .directory, field: "record directory")
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
