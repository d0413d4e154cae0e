import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Reads the agent's small state and configuration files with plain POSIX calls, so a failure
/// keeps the system's reason (`POSIXError`: ENOENT, EACCES, EISDIR...) for a one-line message
/// instead of Foundation's generic "The operation could not be completed".
enum AgentFileReader {
    /// The largest file read (configs, keys, tokens are a few kilobytes).
    static let limit = 4 << 20

    /// The file's bytes; throws ``AgentStateFileError/unreadable(path:cause:)`` with a `POSIXError`.
    static func read(_ path: String) throws -> Data {
        func failure(_ code: Int32) -> AgentStateFileError {
            .unreadable(path: path, cause: POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO))
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(errno) }
        defer { close(descriptor) }
        var information = stat()
        guard fstat(descriptor, &information) == 0 else { throw failure(errno) }
        guard (information.st_mode & S_IFMT) == S_IFREG else { throw failure((information.st_mode & S_IFMT) == S_IFDIR ? EISDIR : EINVAL) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                bytes.append(contentsOf: buffer[0..<count])
                guard bytes.count <= Self.limit else { throw failure(EFBIG) }
            } else if count == 0 {
                return Data(bytes)
            } else if errno != EINTR {
                throw failure(errno)
            }
        }
    }

    /// The file as UTF-8 text; content that is not UTF-8 is ``AgentStateFileError/malformed(path:expected:cause:)``.
    static func readText(_ path: String, expected: String) throws -> String {
        let data = try Self.read(path)
        guard let text = String(data: data, encoding: .utf8) else {
            throw AgentStateFileError.malformed(path: path, expected: expected, cause: CocoaError(.fileReadInapplicableStringEncoding))
        }
        return text
    }
}
