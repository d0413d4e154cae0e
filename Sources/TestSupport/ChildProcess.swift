import Foundation
import NIOConcurrencyHelpers

/// A program run by a test: output captured line by line, stopped on `terminate()`.
public final class ChildProcess: Sendable {
    private let process: Process
    private let output = NIOLockedValueBox<(stdout: String, stderr: String)>(("", ""))
    public let executable: String
    public let arguments: [String]

    /// Starts `executable` with `arguments`.
    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws {
        self.executable = executable
        self.arguments = arguments
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        let output = self.output
        stdout.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            guard !data.isEmpty else { handle.readabilityHandler = nil; return }
            let text = String(decoding: data, as: UTF8.self)
            output.withLockedValue { $0.stdout += text }
        }
        stderr.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            guard !data.isEmpty else { handle.readabilityHandler = nil; return }
            let text = String(decoding: data, as: UTF8.self)
            output.withLockedValue { $0.stderr += text }
        }
        try process.run()
        self.process = process
    }

    public var standardOutput: String { self.output.withLockedValue { $0.stdout } }
    public var standardError: String { self.output.withLockedValue { $0.stderr } }
    public var isRunning: Bool { self.process.isRunning }
    public var processIdentifier: Int32 { self.process.processIdentifier }

    /// Waits until standard output has a line starting with `prefix`; returns that line.
    public func waitForLine(startingWith prefix: String, timeout: TimeInterval = 20) async throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let lines = self.standardOutput.split(separator: "\n")
            if let line = lines.first(where: { $0.hasPrefix(prefix) }) { return String(line) }
            if !self.process.isRunning {
                throw ChildProcessError.exited(self.describe(), status: self.process.terminationStatus, stderr: self.standardError)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ChildProcessError.timedOut(self.describe(), waitingFor: prefix, stderr: self.standardError)
    }

    /// Sends SIGTERM (or `signal`) and waits for the exit.
    public func terminate(signal: Int32 = SIGTERM) async {
        guard self.process.isRunning else { return }
        kill(self.process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(10)
        while self.process.isRunning && Date() < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if self.process.isRunning { kill(self.process.processIdentifier, SIGKILL) }
    }

    /// Waits for the program to exit on its own; returns its status.
    public func waitForExit(timeout: TimeInterval = 60) async throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while self.process.isRunning {
            if Date() > deadline { throw ChildProcessError.timedOut(self.describe(), waitingFor: "exit", stderr: self.standardError) }
            try await Task.sleep(for: .milliseconds(20))
        }
        // Let the pipes drain.
        try await Task.sleep(for: .milliseconds(50))
        return self.process.terminationStatus
    }

    private func describe() -> String { ([self.executable] + self.arguments).joined(separator: " ") }

    /// Runs a program to completion and returns (status, stdout, stderr).
    public static func run(_ executable: String, _ arguments: [String], timeout: TimeInterval = 60) async throws -> (status: Int32, stdout: String, stderr: String) {
        let child = try ChildProcess(executable, arguments)
        let status = try await child.waitForExit(timeout: timeout)
        return (status, child.standardOutput, child.standardError)
    }
}

/// A child program that did not do what the test waited for.
public enum ChildProcessError: Error, CustomStringConvertible {
    case exited(String, status: Int32, stderr: String)
    case timedOut(String, waitingFor: String, stderr: String)

    public var description: String {
        switch self {
        case .exited(let command, let status, let stderr): return "\(command) exited with \(status): \(stderr.suffix(2000))"
        case .timedOut(let command, let what, let stderr): return "\(command): timed out waiting for \(what): \(stderr.suffix(2000))"
        }
    }
}
