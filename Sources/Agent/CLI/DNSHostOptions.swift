import ArgumentParser

/// Options every `ztagent dns` subcommand shares.
struct DNSHostOptions: ParsableArguments {
    @Option(help: "The agent's state directory (holds dns-state.json and the resolv.conf backup).")
    var stateDir: String = "/var/lib/ztagent"

    @Option(help: ArgumentHelp("Treat DIR as the host's root for files (tests and image builds).", visibility: .hidden))
    var root: String = "/"

    func manager() -> HostDNSManager {
        HostDNSManager(environment: LocalHostEnvironment(root: self.root), stateDirectory: self.stateDir)
    }
}
