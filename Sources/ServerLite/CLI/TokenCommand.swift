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
        @Option(help: "Seconds the token is valid (default: the server's tokenLifetimeSeconds, 1 day).") var ttl: Int?

        func run() async throws {
            let token = try await ServerAdministration(paths: self.state.paths)
                .createToken(name: self.name, kind: self.kind, lifetime: self.ttl.map(TimeInterval.init))
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
