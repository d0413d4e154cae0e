import ArgumentParser
import DNSTransport

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create the state directory: a P-256 CA, the server certificate, empty zones and endpoints."
    )

    @OptionGroup var state: StateOptions

    @Option(help: "Name in the server certificate; agents verify it.")
    var serverName: String = "ztserver.local"

    @Option(help: "The TLS router's IP address: what private names resolve to by default.")
    var routerAddress: String = "127.0.0.1"

    @Option(help: "DoT listen address, IP:PORT.")
    var dotListen: String = "127.0.0.1:853"

    @Option(help: "Enrollment API listen address (HTTPS), IP:PORT.")
    var apiListen: String = "127.0.0.1:5001"

    @Option(help: "The TLS router's tunnel listen address (mutual TLS), IP:PORT.")
    var tunnelListen: String = "127.0.0.1:8443"

    @Option(help: "The TLS router's SNI passthrough listen address, IP:PORT (off unless given).")
    var passthroughListen: String?

    @Option(help: "The API address put into tokens and configs, IP:PORT (default: --api-listen).")
    var apiAdvertise: String?

    @Option(parsing: .unconditional, help: "Lifetime of endpoint certificates in seconds (default 7 days; 60 to 315360000).")
    var certificateLifetime: Int?

    @Option(help: "Upstream for public names: dns, dot or refuse.")
    var upstream: UpstreamMode = .refuse

    @Option(help: "Upstream server IP:PORT (repeatable; required with --upstream dns or dot).")
    var upstreamServer: [String] = []

    func run() throws {
        let administration = ServerAdministration(paths: self.state.paths)
        try administration.initialize(
            serverName: self.serverName, routerAddress: self.routerAddress, dotListen: self.dotListen,
            apiListen: self.apiListen, apiAdvertise: self.apiAdvertise
        ) { configuration in
            configuration.upstreamMode = self.upstream
            configuration.upstreamServers = self.upstreamServer
            _ = try HostPort.parse(self.tunnelListen, defaultPort: 8443)
            configuration.tunnelListen = self.tunnelListen
            if let passthrough = self.passthroughListen {
                _ = try HostPort.parse(passthrough, defaultPort: 443)
                configuration.passthroughListen = passthrough
            }
            if let lifetime = self.certificateLifetime { configuration.endpointCertificateLifetimeSeconds = lifetime }
        }
        print("initialized \(self.state.state): CA, server certificate for \(self.serverName), DoT on \(self.dotListen), API on https://\(self.apiAdvertise ?? self.apiListen)")
    }
}

extension UpstreamMode: ExpressibleByArgument {}
