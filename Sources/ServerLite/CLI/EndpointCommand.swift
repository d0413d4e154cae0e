import ArgumentParser
import Foundation

struct EndpointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "endpoint",
        abstract: "Manage endpoints (identities by certificate CN).",
        subcommands: [Issue.self, List.self, Revoke.self]
    )

    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Offline issuance: make a key and certificate for a CN and register it (for hosts that cannot enroll)."
        )
        @OptionGroup var state: StateOptions
        @Argument(help: "The endpoint's CN.") var commonName: String
        @Option(help: "Where to write <cn>.key, <cn>.pem and ca.pem (created 0700).") var out: String
        @Option(help: "client or service.") var kind: EndpointRecord.Kind = .client
        @Option(parsing: .unconditional, help: "Certificate lifetime in seconds (60 to 315360000).") var lifetime: Int = 7 * 86_400
        @Flag(help: "Replace an existing endpoint of that name: a new serial, every earlier certificate refused.") var replace = false

        func run() throws {
            let administration = ServerAdministration(paths: self.state.paths)
            let before = try administration.registry().endpoint(self.commonName)
            let files = try administration
                .issueEndpoint(self.commonName, kind: self.kind, lifetime: TimeInterval(self.lifetime), outputDirectory: self.out, replace: self.replace)
            print("issued \(self.commonName): \(files.certificate) \(files.key) \(files.ca)")
            if let before { print(ReplacementNotice.describe(before, newKind: self.kind)) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List endpoints.")
        @OptionGroup var state: StateOptions

        func run() throws {
            let endpoints = try ServerAdministration(paths: self.state.paths).endpoints()
            let formatter = ISO8601DateFormatter()
            for name in endpoints.keys.sorted() {
                guard let endpoint = endpoints[name] else { continue }
                let expiry = endpoint.certificateNotAfter.map { formatter.string(from: $0) } ?? "-"
                print("\(name)\t\(endpoint.kind.rawValue)\t\(endpoint.status.rawValue)\texpires \(expiry)")
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an endpoint: its connections close and new ones are refused.")
        @OptionGroup var state: StateOptions
        @Argument var commonName: String

        func run() throws {
            try ServerAdministration(paths: self.state.paths).revokeEndpoint(self.commonName)
            print("\(self.commonName) revoked")
        }
    }
}

extension EndpointRecord.Kind: ExpressibleByArgument {}
