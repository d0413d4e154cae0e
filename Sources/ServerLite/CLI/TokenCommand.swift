import ArgumentParser
import Foundation

struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "One-time enrollment tokens.",
        subcommands: [Create.self, List.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a one-time enrollment token (JWT, ES256) for an endpoint name; give it to `ztagent enroll`."
        )
        @OptionGroup var state: StateOptions
        @Option(help: "The endpoint's name (its certificate CN).") var name: String
        @Option(help: "client or service.") var kind: EndpointRecord.Kind = .client
        @Option(parsing: .unconditional, help: "Seconds the token is valid (default: the server's tokenLifetimeSeconds, 1 day; 1 to 31536000).") var ttl: Int?
        @Flag(help: "Allow a token for a name that is already an endpoint: enrolling replaces it (a new serial; every earlier certificate stays refused).") var replace = false

        func run() async throws {
            let administration = ServerAdministration(paths: self.state.paths)
            let before = try administration.registry().endpoint(self.name)
            let token = try await administration
                .createToken(name: self.name, kind: self.kind, lifetime: self.ttl.map(TimeInterval.init), replace: self.replace)
            if let before {
                FileHandle.standardError.write(Data((ReplacementNotice.describe(before, newKind: self.kind) + " (when the token is used)\n").utf8))
            }
            print(token)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (ids, names, expiry, whether used). Tokens themselves are never stored.")
        @OptionGroup var state: StateOptions

        func run() throws {
            let formatter = ISO8601DateFormatter()
            for token in try ServerAdministration(paths: self.state.paths).registry().tokens() {
                let used = token.consumedAt.map { "used \(formatter.string(from: $0))" } ?? "unused"
                print("\(token.id)\t\(token.name)\t\(token.kind)\texpires \(formatter.string(from: token.expiresAt))\t\(used)")
            }
        }
    }
}
