import ArgumentParser

/// `ztagent`: the zero-trust DNS endpoint agent.
@available(macOS 10.15, macCatalyst 13, iOS 13, tvOS 13, watchOS 6, *)
public struct ZTAgentCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ztagent",
        abstract: "Zero-trust DNS endpoint agent: a loopback stub resolver forwarding over mutual-TLS DNS-over-TLS.",
        subcommands: [EnrollCommand.self, AgentRunCommand.self, StatusCommand.self, RenewCommand.self, ConfigCommand.self, DNSCommand.self, ServiceCommand.self]
    )

    public init() {}
}

@available(macOS 10.15, macCatalyst 13, iOS 13, tvOS 13, watchOS 6, *)
extension ZTAgentCommand {
    /// Parses the process arguments and runs the chosen subcommand, awaiting async ones.
    /// (The executable's whole main.)
    public static func runFromCommandLine() async {
        do {
            var command = try Self.parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            Self.exit(withError: error)
        }
    }
}
