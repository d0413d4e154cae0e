#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Small POSIX file helpers shared by the loaders (internal).
enum POSIXFile {
    /// Largest file this module reads: PEM bundles are far smaller.
    static let readLimit = 16 << 20

    static let typeMask: mode_t = 0o170000
    static let regularFile: mode_t = 0o100000
    static let directory: mode_t = 0o040000

    /// The bytes and permission bits of a file read through one descriptor.
    struct Contents {
        var bytes: [UInt8]
        var mode: mode_t
        var owner: uid_t
    }

    /// The system's message for an errno value.
    static func message(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text) + " (errno \(code))"
    }

    /// Reads a whole regular file. The mode is taken from the same descriptor that is read, so a
    /// permission check on it cannot race with a replacement of the file.
    static func read(path: String, limit: Int = readLimit) throws -> Contents {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT { throw CertStoreError.fileNotFound(path: path) }
            throw CertStoreError.readFailed(path: path, reason: message(code))
        }
        defer { _ = close(fd) }

        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw CertStoreError.readFailed(path: path, reason: message(errno))
        }
        guard info.st_mode & typeMask == regularFile else {
            throw CertStoreError.notARegularFile(path: path)
        }
        let size = Int(info.st_size)
        guard size <= limit else {
            throw CertStoreError.fileTooLarge(path: path, size: size, limit: limit)
        }

        var bytes: [UInt8] = []
        bytes.reserveCapacity(size)
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = chunk.withUnsafeMutableBytes { buffer in
                systemRead(fd, buffer.baseAddress, buffer.count)
            }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                throw CertStoreError.readFailed(path: path, reason: message(code))
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > limit {
                throw CertStoreError.fileTooLarge(path: path, size: bytes.count, limit: limit)
            }
        }
        return Contents(bytes: bytes, mode: info.st_mode & 0o7777, owner: info.st_uid)
    }

    /// Reads a text file (PEM).
    static func readText(path: String) throws -> String {
        String(decoding: try read(path: path).bytes, as: UTF8.self)
    }

    /// Reads a private key file, refusing it (with its path and mode) when `strict` and group or
    /// others have any access to it.
    static func readPrivateKeyText(path: String, strict: Bool) throws -> String {
        let contents = try read(path: path)
        if strict, contents.mode & 0o077 != 0 {
            throw CertStoreError.insecureKeyPermissions(path: path, mode: contents.mode)
        }
        return String(decoding: contents.bytes, as: UTF8.self)
    }

    /// The directory part of a path ("." when there is none).
    static func directoryName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let dir = String(path[..<slash])
        return dir.isEmpty ? "/" : dir
    }

    /// The last component of a path.
    static func baseName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}

/// `read(2)`, named so it is not shadowed by `POSIXFile.read(path:limit:)`.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}
