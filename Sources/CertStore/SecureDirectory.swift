#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A directory that must be private (0700 by default): create it so, or check it.
public enum SecureDirectory {
    /// Makes sure `path` is a directory with permission bits `mode`.
    ///
    /// Like `mkdir -p`: missing parents are created with mode 0755 (less the umask), and the
    /// directory itself with exactly `mode`. If the directory exists and is owned by the current
    /// user, it is `chmod`ed to `mode`. If it exists, is owned by someone else and grants more than
    /// `mode` allows, this throws, because it cannot be fixed here.
    /// - Throws: ``CertStoreError`` naming the directory.
    public static func ensure(path: String, mode: mode_t = 0o700) throws {
        guard !path.isEmpty else {
            throw CertStoreError.directoryFailed(path: path, reason: "empty path")
        }
        let wanted = mode & 0o7777

        // Create missing components, parents first.
        var prefix = path.hasPrefix("/") ? "/" : ""
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        for (index, component) in components.enumerated() {
            prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + component
            let isLast = index == components.count - 1
            if mkdir(prefix, isLast ? wanted : 0o755) != 0 {
                let code = errno
                guard code == EEXIST else {
                    throw CertStoreError.directoryFailed(path: prefix, reason: "mkdir failed: \(POSIXFile.message(code))")
                }
            }
            if !isLast {
                var info = stat()
                guard stat(prefix, &info) == 0 else {
                    throw CertStoreError.directoryFailed(path: prefix, reason: POSIXFile.message(errno))
                }
                guard info.st_mode & POSIXFile.typeMask == POSIXFile.directory else {
                    throw CertStoreError.notADirectory(path: prefix)
                }
            }
        }

        var info = stat()
        guard stat(path, &info) == 0 else {
            throw CertStoreError.directoryFailed(path: path, reason: POSIXFile.message(errno))
        }
        guard info.st_mode & POSIXFile.typeMask == POSIXFile.directory else {
            throw CertStoreError.notADirectory(path: path)
        }
        let current = info.st_mode & 0o7777
        if current == wanted { return }
        if info.st_uid == geteuid() {
            guard chmod(path, wanted) == 0 else {
                throw CertStoreError.directoryFailed(path: path, reason: "chmod failed: \(POSIXFile.message(errno))")
            }
        } else if current & ~wanted & 0o777 != 0 {
            throw CertStoreError.directoryNotOwned(path: path, owner: info.st_uid, mode: current)
        }
    }

    /// Checks that `path` is a directory to which group and others have no access at all.
    /// - Throws: ``CertStoreError/insecureDirectoryPermissions(path:mode:)`` naming the directory
    ///   and its mode, or another ``CertStoreError`` if it is missing or not a directory.
    public static func check(path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT {
                throw CertStoreError.directoryFailed(path: path, reason: "does not exist")
            }
            throw CertStoreError.directoryFailed(path: path, reason: POSIXFile.message(code))
        }
        guard info.st_mode & POSIXFile.typeMask == POSIXFile.directory else {
            throw CertStoreError.notADirectory(path: path)
        }
        let mode = info.st_mode & 0o7777
        if mode & 0o077 != 0 {
            throw CertStoreError.insecureDirectoryPermissions(path: path, mode: mode)
        }
    }
}
