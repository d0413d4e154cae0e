import ArgumentParser

/// `ztagent dns`: point the host's resolver at the stub, undo it, or show how it stands.
struct DNSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dns",
        abstract: "Point the host's resolver at the stub (systemd-resolved, resolvconf or /etc/resolv.conf), or restore it.",
        subcommands: [DNSApplyCommand.self, DNSRevertCommand.self, DNSStatusCommand.self, DNSWatchNetworkCommand.self]
    )
}
