import ArgumentParser

/// `ztagent dns revert`.
struct DNSRevertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revert",
        abstract: "Restore exactly what `dns apply` changed (also after a crash). Safe to run when nothing is applied."
    )

    @OptionGroup var host: DNSHostOptions

    func run() throws {
        do {
            let notes = try self.host.manager().revert()
            print("dns: reverted: " + notes.joined(separator: "; "))
        } catch let error as HostDNSError {
            printDNSError("ztagent dns revert: \(error)")
            throw ExitCode.failure
        }
    }
}
