import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// A child program started with posix_spawn and reaped with waitpid.
///
/// Why not `Foundation.Process` (or TestSupport's `ChildProcess`, which wraps it): on this
/// toolchain (Swift 6.3.1, Linux) Process detects a child's exit through a socketpair watched by
/// a CFRunLoop thread, and that notice is sometimes lost for a child that exits within a few
/// milliseconds of being spawned (dig against a port nobody listens on yet): the child stays a
/// zombie and `isRunning` stays true forever. Here the exit is read from waitpid itself.
final class Spawned: @unchecked Sendable {
    let executable: String
    let arguments: [String]
    let processIdentifier: pid_t

    private let lock = NIOLock()
    private var stdoutBytes: [UInt8] = []
    private var stderrBytes: [UInt8] = []
    private var status: Int32?
    private let readersDone = DispatchGroup()
    private static let spawnLock = NIOLock()

    init(_ executable: String, _ arguments: [String]) throws {
        self.executable = executable
        self.arguments = arguments

        // Pipes are made close-on-exec under one lock with the spawn, so no other child started
        // from here inherits an end (an inherited write end would keep a reader from EOF).
        Self.spawnLock.lock()
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0 else { Self.spawnLock.unlock(); throw HarnessError("pipe: errno \(errno)") }
        guard pipe(&errPipe) == 0 else {
            close(outPipe[0]); close(outPipe[1])
            Self.spawnLock.unlock()
            throw HarnessError("pipe: errno \(errno)")
        }
        for descriptor in outPipe + errPipe { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group, so a terminal's ^C does not reach it behind our back, and the
        // default signal mask and dispositions (the test runner may block some).
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        close(outPipe[1])
        close(errPipe[1])
        Self.spawnLock.unlock()
        guard result == 0 else {
            close(outPipe[0]); close(errPipe[0])
            throw HarnessError("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        self.processIdentifier = pid
        self.drain(outPipe[0], isStandardOutput: true)
        self.drain(errPipe[0], isStandardOutput: false)
    }

    private func drain(_ descriptor: Int32, isStandardOutput: Bool) {
        self.readersDone.enter()
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count > 0 {
                    self.lock.withLock {
                        if isStandardOutput {
                            self.stdoutBytes.append(contentsOf: buffer[0..<count])
                        } else {
                            self.stderrBytes.append(contentsOf: buffer[0..<count])
                        }
                    }
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            close(descriptor)
            self.readersDone.leave()
        }
        thread.start()
    }

    var standardOutput: String { self.lock.withLock { String(decoding: self.stdoutBytes, as: UTF8.self) } }
    var standardError: String { self.lock.withLock { String(decoding: self.stderrBytes, as: UTF8.self) } }

    /// The raw wait status once the child was reaped (nil while it runs).
    private func poll() -> Int32? {
        self.lock.withLock {
            if let status = self.status { return status }
            var raw: Int32 = 0
            let result = waitpid(self.processIdentifier, &raw, WNOHANG)
            if result == self.processIdentifier {
                self.status = raw
                return raw
            }
            if result < 0 && errno == ECHILD {
                // Reaped elsewhere (should not happen): treat as gone.
                self.status = 0x7f00
                return self.status
            }
            return nil
        }
    }

    var isRunning: Bool { self.poll() == nil }

    /// The exit code, or 128 + signal number when a signal ended it (as a shell reports it).
    var exitStatus: Int32? {
        guard let raw = self.poll() else { return nil }
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : 128 + signal
    }

    /// Waits until standard output has a line starting with `prefix`; returns that line.
    func waitForLine(startingWith prefix: String, timeout: TimeInterval = 20) async throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = self.standardOutput.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) { return String(line) }
            if !self.isRunning {
                // Output written just before the exit may still be in the pipe.
                _ = self.readersDone.wait(timeout: .now() + 2)
                if let line = self.standardOutput.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) { return String(line) }
                throw HarnessError("\(self.commandLine) exited with \(self.exitStatus ?? -1) before printing '\(prefix)': \(self.standardError.suffix(2000))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HarnessError("\(self.commandLine): no line starting with '\(prefix)' within \(timeout) s: \(self.standardError.suffix(2000))")
    }

    /// Waits until standard error has a line containing `text`; returns that line.
    func waitForStandardError(containing text: String, timeout: TimeInterval = 20) async throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = self.standardError.split(separator: "\n").first(where: { $0.contains(text) }) { return String(line) }
            guard self.isRunning else { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HarnessError("\(self.commandLine): no standard error line with '\(text)' within \(timeout) s (running: \(self.isRunning)): \(self.standardError.suffix(2000))")
    }

    /// Waits for the program to exit on its own (and for its output); returns its exit status.
    /// On timeout the program is killed and an error thrown.
    func waitForExit(timeout: TimeInterval) async throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while self.isRunning {
            if Date() > deadline {
                await self.terminate(signal: SIGKILL)
                throw HarnessError("\(self.commandLine): still running after \(timeout) s (killed): \(self.standardError.suffix(2000))")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        // A grandchild holding the pipes must not hang the test: bounded wait for the output.
        _ = self.readersDone.wait(timeout: .now() + 2)
        return self.exitStatus ?? -1
    }

    /// Sends `signal` (SIGTERM by default), waits up to 10 s, then SIGKILLs; always reaps.
    func terminate(signal: Int32 = SIGTERM) async {
        guard self.isRunning else { return }
        kill(self.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(10)
        while self.isRunning && Date() < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        if self.isRunning {
            kill(self.processIdentifier, SIGKILL)
            while self.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
        }
    }

    var commandLine: String { ([self.executable] + self.arguments).joined(separator: " ").prefix(400).description }

    /// Runs a program to completion.
    static func run(_ executable: String, _ arguments: [String], timeout: TimeInterval) async throws -> (status: Int32, stdout: String, stderr: String) {
        let child = try Spawned(executable, arguments)
        let status = try await child.waitForExit(timeout: timeout)
        return (status, child.standardOutput, child.standardError)
    }
}
