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
            let path = AgentStatePaths(directory: self.state).pid
            guard let text = try? String(contentsOfFile: path, encoding: .utf8),
                  let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1
            else {
                throw ValidationError("no running agent: \(path) is missing or unreadable")
            }
            guard kill(pid, SIGHUP) == 0 else {
                throw ValidationError("cannot signal the agent (pid \(pid)): errno \(errno)")
            }
            print("asked agent \(pid) to refresh its config")
        }
    }
}
