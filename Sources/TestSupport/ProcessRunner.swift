import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a program to completion with posix_spawn, reads its output, reaps it with waitpid.
/// (Foundation.Process sometimes misses a fast child's exit on this toolchain and waits forever.)
public enum ProcessRunner {
    public struct Result: Sendable {
        public var status: Int32
        public var standardOutput: [UInt8]
        public var standardError: [UInt8]
        public var output: String { String(decoding: self.standardOutput, as: UTF8.self) }
        public var error: String { String(decoding: self.standardError, as: UTF8.self) }
    }

    public static func run(_ executable: String, _ arguments: [String]) throws -> Result {
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else { throw PeerToolMissing(name: "\(executable) (pipe failed)") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        for descriptor in outPipe + errPipe { posix_spawn_file_actions_addclose(&actions, descriptor) }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        close(outPipe[1])
        close(errPipe[1])
        guard spawned == 0 else {
            close(outPipe[0]); close(errPipe[0])
            throw PeerToolMissing(name: "\(executable) (posix_spawn failed: \(spawned))")
        }
        // Drain stderr on another thread so neither pipe can fill and block the child.
        let errorBox = ByteBox()
        let errorDescriptor = errPipe[0]
        let done = DispatchSemaphore(value: 0)
        let reader = Thread {
            errorBox.bytes = Self.readAll(errorDescriptor)
            done.signal()
        }
        reader.start()
        let output = Self.readAll(outPipe[0])
        done.wait()
        close(outPipe[0])
        close(errPipe[0])
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Result(status: exitStatus, standardOutput: output, standardError: errorBox.bytes)
    }

    private static func readAll(_ descriptor: Int32) -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, 65_536) }
            if count > 0 {
                bytes += buffer[0..<count]
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                return bytes
            }
        }
    }
}

/// Bytes handed from a reader thread.
private final class ByteBox: @unchecked Sendable {
    var bytes: [UInt8] = []
}
