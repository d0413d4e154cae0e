#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The real host (root `/`) or a scratch tree that stands for it (`root: "/tmp/scratch"`).
///
/// Files are read and written under `root`; programs run on the real host (a scratch root is for
/// the file-based backends). systemd-resolved is reached with `busctl` on the system bus.
public struct LocalHostEnvironment: HostEnvironment {
    /// The prefix every host path is mapped under ("/" for the real host).
    public let root: String
    public let resolved: any ResolvedBus

    /// Creates an environment rooted at `root`. `busctl` defaults to the first one found.
    public init(root: String = "/", busctl: String? = nil) {
        var trimmed = root
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.root = trimmed
        let runner = CommandRunnerBox()
        let candidates: [String] = ["/usr/bin/busctl", "/bin/busctl"]
        let found = candidates.first { (path: String) -> Bool in access(path, X_OK) == 0 }
        let busctlPath = busctl ?? found ?? "/usr/bin/busctl"
        self.resolved = BusctlResolvedBus(busctl: busctlPath, runner: runner)
    }

    /// The real path of a host path.
    public func mapped(_ path: String) -> String {
        self.root == "/" ? path : self.root + path
    }

    public func status(_ path: String) -> HostFileStatus? {
        var info = stat()
        guard lstat(self.mapped(path), &info) == 0 else { return nil }
        let type = info.st_mode & S_IFMT
        let kind: HostFileKind
        switch type {
        case S_IFREG: kind = .regular
        case S_IFLNK: kind = .symlink
        case S_IFDIR: kind = .directory
        default: kind = .other
        }
        var target: String?
        if kind == .symlink {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlink(self.mapped(path), &buffer, buffer.count - 1)
            if count >= 0 {
                target = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        }
        return HostFileStatus(kind: kind, mode: UInt32(info.st_mode & 0o7777), uid: info.st_uid, gid: info.st_gid, symlinkTarget: target)
    }

    /// The host path `path` finally names after following up to 16 links (targets kept under root).
    func resolvedPath(_ path: String) -> String {
        var current = path
        for _ in 0..<16 {
            guard let info = self.status(current), info.kind == .symlink, let target = info.symlinkTarget else { return current }
            if target.hasPrefix("/") {
                current = target
            } else {
                let directory = current.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
                current = Self.normalize((directory.isEmpty ? "" : directory) + "/" + target)
            }
        }
        return current
    }

    static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." || part.isEmpty { continue }
            if part == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    public func readFile(_ path: String) throws -> [UInt8]? {
        let real = self.mapped(self.resolvedPath(path))
        let fd = open(real, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw HostDNSError.io(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 { bytes.append(contentsOf: buffer[0..<count]); continue }
            if count < 0 && errno == EINTR { continue }
            if count < 0 { throw HostDNSError.io(path: path, reason: String(cString: strerror(errno))) }
            break
        }
        return bytes
    }

    public func writeFile(_ path: String, bytes: [UInt8], mode: UInt32) throws {
        let real = self.mapped(path)
        let temp = Self.temporaryName(for: real)
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode_t(mode))
        guard fd >= 0 else { throw HostDNSError.io(path: path, reason: "cannot create a temporary file: \(String(cString: strerror(errno)))") }
        var renamed = false
        defer { if !renamed { unlink(temp) } }
        do {
            defer { close(fd) }
            guard fchmod(fd, mode_t(mode)) == 0 else { throw HostDNSError.io(path: path, reason: "fchmod: \(String(cString: strerror(errno)))") }
            try Self.writeAll(fd, bytes, path: path)
            guard fsync(fd) == 0 else { throw HostDNSError.io(path: path, reason: "fsync: \(String(cString: strerror(errno)))") }
        }
        if rename(temp, real) == 0 {
            renamed = true
            Self.syncDirectory(of: real)
            return
        }
        let code = errno
        guard code == EBUSY || code == EXDEV else {
            throw HostDNSError.io(path: path, reason: "rename: \(String(cString: strerror(code)))")
        }
        // A mount point (a bind-mounted resolv.conf): rename cannot replace it, so rewrite it in place.
        try self.rewriteInPlace(real, bytes: bytes, mode: mode, path: path)
    }

    private func rewriteInPlace(_ real: String, bytes: [UInt8], mode: UInt32, path: String) throws {
        let fd = open(real, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw HostDNSError.io(path: path, reason: "open for in-place rewrite: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        try Self.writeAll(fd, bytes, path: path, offset: 0)
        guard ftruncate(fd, off_t(bytes.count)) == 0 else { throw HostDNSError.io(path: path, reason: "ftruncate: \(String(cString: strerror(errno)))") }
        _ = fchmod(fd, mode_t(mode))
        guard fsync(fd) == 0 else { throw HostDNSError.io(path: path, reason: "fsync: \(String(cString: strerror(errno)))") }
    }

    public func writeSymlink(_ path: String, target: String) throws {
        let real = self.mapped(path)
        let temp = Self.temporaryName(for: real)
        guard symlink(target, temp) == 0 else { throw HostDNSError.io(path: path, reason: "symlink: \(String(cString: strerror(errno)))") }
        guard rename(temp, real) == 0 else {
            let code = errno
            unlink(temp)
            throw HostDNSError.io(path: path, reason: "rename: \(String(cString: strerror(code)))")
        }
        Self.syncDirectory(of: real)
    }

    public func removeFile(_ path: String) throws {
        if unlink(self.mapped(path)) != 0 && errno != ENOENT {
            throw HostDNSError.io(path: path, reason: "unlink: \(String(cString: strerror(errno)))")
        }
    }

    public func createDirectory(_ path: String, mode: UInt32) throws {
        var built = ""
        let parts = path.split(separator: "/")
        for (position, part) in parts.enumerated() {
            built += "/" + part
            if mkdir(self.mapped(built), mode_t(mode)) != 0 {
                guard errno == EEXIST else { throw HostDNSError.io(path: built, reason: "mkdir: \(String(cString: strerror(errno)))") }
            } else if position == parts.count - 1 {
                // The mode asked for, not the umask's (the unit's UMask=0077 would hide it from the agent).
                _ = chmod(self.mapped(built), mode_t(mode))
            }
        }
    }

    public func isExecutable(_ path: String) -> Bool {
        var info = stat()
        let real = self.mapped(self.resolvedPath(path))
        return stat(real, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && access(real, X_OK) == 0
    }

    public func run(_ executable: String, _ arguments: [String], input: String?) throws -> CommandResult {
        try PosixCommandRunner.run(executable, arguments, input: input)
    }

    public func isProcessRunning(_ name: String) -> Bool {
        guard let directory = opendir(self.mapped("/proc")) else { return false }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let entryName = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let first = entryName.first, first.isNumber else { continue }
            if let comm = self.readText("/proc/\(entryName)/comm"), comm.split(separator: "\n").first.map(String.init) == name { return true }
        }
        return false
    }

    public func crashPoint(_ name: String) throws {
        if let value = getenv("ZTAGENT_FAULT_INJECT"), String(cString: value) == name {
            kill(getpid(), SIGKILL)
        }
    }

    static func temporaryName(for real: String) -> String {
        let slash = real.lastIndex(of: "/")
        let directory = slash.map { String(real[..<$0]) } ?? "."
        let base = slash.map { String(real[real.index(after: $0)...]) } ?? real
        return "\(directory)/.\(base).ztagent-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String, offset: Int? = nil) throws {
        var done = 0
        while done < bytes.count {
            let written = bytes[done...].withUnsafeBytes { buffer -> Int in
                if let offset { return pwrite(fd, buffer.baseAddress, buffer.count, off_t(offset + done)) }
                return write(fd, buffer.baseAddress, buffer.count)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw HostDNSError.io(path: path, reason: "write: \(String(cString: strerror(errno)))")
            }
            done += written
        }
    }

    static func syncDirectory(of real: String) {
        let directory = real.lastIndex(of: "/").map { String(real[..<$0]) } ?? "."
        let fd = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { fsync(fd); close(fd) }
    }
}

/// Runs commands for ``BusctlResolvedBus`` (a seam for tests).
struct CommandRunnerBox: Sendable {
    func run(_ executable: String, _ arguments: [String]) throws -> CommandResult {
        try PosixCommandRunner.run(executable, arguments, timeoutSeconds: 10)
    }
}
