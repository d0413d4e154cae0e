import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "The signed config.",
        subcommands: [Refresh.self]
    )

    struct Refresh: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Ask the running agent to fetch its config now (SIGHUP).")

        @Option(help: "State directory of the running agent.")
        var state: String = "/var/lib/ztagent"

        func run() throws {
            // Failures are RunningAgentError: one line, exit 1 (not a usage error).
            let path = AgentStatePaths(directory: self.state).pid
            let text: String
            do {
                text = try AgentFileReader.readText(path, expected: "a process id")
            } catch let error as AgentStateFileError {
                throw RunningAgentError.noPidFile(path: path, cause: error.cause)
            }
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard let pid = Int32(trimmed), pid > 1 else {
                throw RunningAgentError.invalidPidFile(path: path, content: trimmed)
            }
            guard kill(pid, SIGHUP) == 0 else {
                throw RunningAgentError.cannotSignal(pid: pid, path: path, errno: errno)
            }
            print("asked agent \(pid) to refresh its config")
        }
    }
}
