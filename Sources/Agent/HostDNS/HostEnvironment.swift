#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What a path is, as `lstat` sees it (a symbolic link is not followed).
public enum HostFileKind: String, Codable, Sendable, Hashable {
    case regular
    case symlink
    case directory
    case other
}

/// The `lstat` facts of one path.
public struct HostFileStatus: Sendable, Hashable {
    /// What the path is.
    public var kind: HostFileKind
    /// Permission bits (`st_mode & 0o7777`).
    public var mode: UInt32
    /// Owner and group.
    public var uid: UInt32
    public var gid: UInt32
    /// The link's target, exactly as stored (only for ``HostFileKind/symlink``).
    public var symlinkTarget: String?

    /// Creates a status.
    public init(kind: HostFileKind, mode: UInt32, uid: UInt32 = 0, gid: UInt32 = 0, symlinkTarget: String? = nil) {
        self.kind = kind
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.symlinkTarget = symlinkTarget
    }
}

/// The result of running a program to completion.
public struct CommandResult: Sendable, Hashable {
    /// The exit code (128 + signal when a signal ended it).
    public var status: Int32
    public var standardOutput: String
    public var standardError: String

    /// Creates a result.
    public init(status: Int32, standardOutput: String = "", standardError: String = "") {
        self.status = status
        self.standardOutput = standardOutput
        self.standardError = standardError
    }
}

/// Everything the host DNS integration touches, injected so that detection and every backend can
/// run against an in-memory double, a scratch root, or the real host.
///
/// Paths are the host's absolute paths (`/etc/resolv.conf`); an implementation may map them under a
/// root prefix. Symbolic link targets are returned and written verbatim (never remapped).
public protocol HostEnvironment: Sendable {
    /// `lstat` of `path`; nil when nothing is there.
    func status(_ path: String) -> HostFileStatus?
    /// The bytes of `path`, following symbolic links (absolute targets resolved under the same
    /// root); nil when the path (or the link's target) does not exist.
    func readFile(_ path: String) throws -> [UInt8]?
    /// Replaces `path` atomically (temporary file in the same directory, fsync, rename). When the
    /// path is a mount point (a bind-mounted file, as in containers) the rename cannot work and the
    /// content is rewritten in place instead. A failure leaves the old file intact.
    func writeFile(_ path: String, bytes: [UInt8], mode: UInt32) throws
    /// Replaces `path` atomically with a symbolic link to `target`.
    func writeSymlink(_ path: String, target: String) throws
    /// Removes a file or link; no error when it is already gone.
    func removeFile(_ path: String) throws
    /// Creates a directory (and parents) with `mode` when missing.
    func createDirectory(_ path: String, mode: UInt32) throws
    /// True when `path` is an executable regular file (after following links).
    func isExecutable(_ path: String) -> Bool
    /// Runs a program (absolute path) to completion, with `input` on its standard input.
    func run(_ executable: String, _ arguments: [String], input: String?) throws -> CommandResult
    /// True when a process whose command name (`/proc/PID/comm`) is `name` is running.
    func isProcessRunning(_ name: String) -> Bool
    /// systemd-resolved's D-Bus API.
    var resolved: any ResolvedBus { get }
    /// A named point in a multi-step change where a test may simulate a crash. Real hosts ignore it
    /// unless `ZTAGENT_FAULT_INJECT` names the point (fault-injection tests SIGKILL there).
    func crashPoint(_ name: String) throws
    /// The effective user id this process acts as (0: root, whose record must be root's own).
    var effectiveUserID: UInt32 { get }
}

extension HostEnvironment {
    /// The process's effective user id.
    public var effectiveUserID: UInt32 { geteuid() }

    /// Finds the first executable among `candidates`.
    public func firstExecutable(_ candidates: [String]) -> String? {
        candidates.first { self.isExecutable($0) }
    }

    /// The file's text (UTF-8, invalid bytes replaced); nil when missing or unreadable.
    public func readText(_ path: String) -> String? {
        guard let bytes = try? self.readFile(path) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}
