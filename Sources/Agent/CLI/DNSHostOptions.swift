import ArgumentParser

/// Options every `ztagent dns` subcommand shares.
struct DNSHostOptions: ParsableArguments {
    @Option(help: "The agent's state directory (its signed config gives the split-DNS domains). It never holds the DNS record: the agent can write it.")
    var stateDir: String = "/var/lib/ztagent"

    @Option(help: "Root's record directory (dns-state.json and the resolv.conf backup; must be root's and not group/other-writable).")
    var recordDir: String = DNSStateStore.rootDirectory

    @Option(help: ArgumentHelp("Treat DIR as the host's root for files (tests and image builds).", visibility: .hidden))
    var root: String = "/"

    /// The manager; `link` is the systemd-resolved link a record may name besides `zt0`.
    func manager(link: String = "zt0") -> HostDNSManager {
        HostDNSManager(environment: LocalHostEnvironment(root: self.root), stateDirectory: self.stateDir,
                       recordDirectory: self.recordDir, linkNames: ["zt0", link])
    }
}
