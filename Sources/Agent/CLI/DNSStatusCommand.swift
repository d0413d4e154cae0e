import ArgumentParser
import Foundation

/// `ztagent dns status`.
struct DNSStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the detected resolver mode, what is applied and whether it is still in force."
    )

    @OptionGroup var host: DNSHostOptions

    @Option(help: "systemd-resolved: the link `dns apply --link` was given (a record naming any other link is refused).")
    var link: String = "zt0"

    @Flag(help: "JSON output.")
    var json = false

    func run() throws {
        let manager = self.host.manager(link: self.link)
        let report = manager.status()
        if self.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.text)
        }
        // The report says what detection sees; a state file that cannot be read means nobody can
        // tell what is applied: one line on standard error and a non-zero exit.
        do {
            _ = try manager.store.load()
        } catch {
            fflushStandardOutput()
            printDNSError("Error: \(ErrorSummary.oneLine("\(error)"))")
            throw ExitCode.failure
        }
    }
}

/// Writes one line to standard error.
func printDNSError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
