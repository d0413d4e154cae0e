#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Atomic, permission-aware file writes.
///
/// A reader of `path` sees either the old content or the new content, never a mix, and after a
/// crash the file is one or the other. Permissions are set on the temporary file before any byte
/// of content is written, so a private key is never visible with a wider mode.
public enum AtomicFile {
    /// Writes `bytes` to `path` atomically with permission bits `mode`.
    ///
    /// Steps: create a temporary file in the same directory (`O_CREAT|O_EXCL`, `mode`, then
    /// `fchmod` to `mode` exactly, whatever the umask), write everything, `fsync`, `rename` over
    /// `path`, then `fsync` the directory so the rename itself is durable.
    /// On any failure before the rename, the old file is untouched and the temporary file is
    /// removed. The parent directory must exist; it is not created.
    /// - Throws: ``CertStoreError/writeFailed(path:reason:)`` naming `path`.
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t) throws {
        guard !path.isEmpty else {
            throw CertStoreError.writeFailed(path: path, reason: "empty path")
        }
        let directory = POSIXFile.directoryName(of: path)
        let base = POSIXFile.baseName(of: path)
        guard !base.isEmpty, base != ".", base != ".." else {
            throw CertStoreError.writeFailed(path: path, reason: "path does not name a file")
        }

        let (tempPath, fd) = try createTemporaryFile(directory: directory, base: base, finalPath: path, mode: mode)
        var descriptor: Int32? = fd
        var renamed = false
        defer {
            if let open = descriptor { _ = close(open) }
            if !renamed { _ = unlink(tempPath) }
        }

        guard fchmod(fd, mode) == 0 else {
            throw CertStoreError.writeFailed(path: path, reason: "fchmod of temporary file failed: \(POSIXFile.message(errno))")
        }
        try writeAll(bytes, to: fd, path: path)
        guard fsync(fd) == 0 else {
            throw CertStoreError.writeFailed(path: path, reason: "fsync failed: \(POSIXFile.message(errno))")
        }
        descriptor = nil
        guard close(fd) == 0 else {
            throw CertStoreError.writeFailed(path: path, reason: "close failed: \(POSIXFile.message(errno))")
        }
        guard rename(tempPath, path) == 0 else {
            throw CertStoreError.writeFailed(path: path, reason: "rename failed: \(POSIXFile.message(errno))")
        }
        renamed = true
        try syncDirectory(directory, path: path)
    }

    /// Writes `text` as UTF-8 to `path` atomically with permission bits `mode`.
    /// See ``write(_:to:mode:)-([UInt8],_,_)``.
    public static func write(_ text: String, to path: String, mode: mode_t) throws {
        try write(Array(text.utf8), to: path, mode: mode)
    }

    private static func createTemporaryFile(
        directory: String, base: String, finalPath: String, mode: mode_t
    ) throws -> (String, Int32) {
        var attempts = 0
        while true {
            let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 16)
            let tempPath = (directory == "." ? "" : (directory == "/" ? "/" : directory + "/")) + ".\(base).tmp-\(suffix)"
            let fd = open(tempPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
            if fd >= 0 { return (tempPath, fd) }
            let code = errno
            attempts += 1
            if code == EEXIST && attempts < 16 { continue }
            if code == EINTR && attempts < 16 { continue }
            throw CertStoreError.writeFailed(
                path: finalPath,
                reason: "cannot create temporary file in \(directory): \(POSIXFile.message(code))"
            )
        }
    }

    private static func writeAll(_ bytes: [UInt8], to fd: Int32, path: String) throws {
        try bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let written = systemWrite(fd, base + offset, buffer.count - offset)
                if written < 0 {
                    let code = errno
                    if code == EINTR { continue }
                    throw CertStoreError.writeFailed(path: path, reason: "write failed: \(POSIXFile.message(code))")
                }
                offset += written
            }
        }
    }

    private static func syncDirectory(_ directory: String, path: String) throws {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            throw CertStoreError.writeFailed(
                path: path,
                reason: "file replaced, but cannot open directory \(directory) to fsync it: \(POSIXFile.message(errno))"
            )
        }
        defer { _ = close(fd) }
        if fsync(fd) != 0 {
            let code = errno
            // Some file systems cannot fsync a directory; the rename has happened either way.
            if code == EINVAL || code == EROFS { return }
            throw CertStoreError.writeFailed(
                path: path,
                reason: "file replaced, but fsync of directory \(directory) failed: \(POSIXFile.message(code))"
            )
        }
    }

    /// Removes temp files a crashed write left in `directory` (".NAME.tmp-XXXX"). They may hold a
    /// complete private key, so they must not linger. Returns how many were removed.
    @discardableResult
    public static func removeStaleTemporaryFiles(in directory: String) -> Int {
        guard let stream = opendir(directory) else { return 0 }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasPrefix("."), name.contains(".tmp-") { names.append(name) }
        }
        closedir(stream)
        var removed = 0
        for name in names where unlink("\(directory)/\(name)") == 0 { removed += 1 }
        return removed
    }
}

/// `write(2)`, named so it is not shadowed by `AtomicFile.write`.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}
