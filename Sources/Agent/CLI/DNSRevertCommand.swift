import ArgumentParser

/// `ztagent dns revert`.
struct DNSRevertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revert",
        abstract: "Restore exactly what `dns apply` changed (also after a crash). Safe to run when nothing is applied."
    )

    @OptionGroup var host: DNSHostOptions

    @Option(help: "systemd-resolved: the link `dns apply --link` was given (a record naming any other link is refused).")
    var link: String = "zt0"

    func run() throws {
        do {
            let notes = try self.host.manager(link: self.link).revert()
            print("dns: reverted: " + notes.joined(separator: "; "))
        } catch let error as HostDNSError {
            printDNSError("ztagent dns revert: \(error)")
            throw ExitCode.failure
        }
    }
}
