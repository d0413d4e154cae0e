import ArgumentParser
import Foundation

/// `ztserver`: the zero-trust DNS server.
@available(macOS 10.15, macCatalyst 13, iOS 13, tvOS 13, watchOS 6, *)
public struct ZTServerCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ztserver",
        abstract: "Zero-trust DNS server: DoT with certificate-CN ACLs over private zones, CA and registry.",
        subcommands: [InitCommand.self, TokenCommand.self, ZoneCommand.self, RouteCommand.self, EndpointCommand.self, RunCommand.self]
    )

    public init() {}
}

/// The state directory option shared by every subcommand.
struct StateOptions: ParsableArguments {
    @Option(name: .long, help: "State directory (CA, keys, zones, endpoints).")
    var state: String = "/var/lib/ztserver"

    var paths: ServerPaths { ServerPaths(directory: self.state) }
}

@available(macOS 10.15, macCatalyst 13, iOS 13, tvOS 13, watchOS 6, *)
extension ZTServerCommand {
    /// Parses the process arguments and runs the chosen subcommand, awaiting async ones.
    /// (The executable's whole main.) A failure is one line on standard error, `Error: …`,
    /// naming what is wrong (no usage text after it; `--help` shows that); help and version
    /// requests print as usual.
    public static func runFromCommandLine() async {
        do {
            var command = try Self.parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = Self.exitCode(for: error)
            guard code != .success else { Self.exit(withError: error) }
            // The message without the usage text ArgumentParser adds after a validation error.
            if let message = Self.message(for: error).split(whereSeparator: \.isNewline).first.map(String.init), !message.isEmpty {
                FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
            }
            Foundation.exit(code.rawValue)
        }
    }
}
