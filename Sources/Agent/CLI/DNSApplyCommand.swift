import ArgumentParser
import Foundation
import ZTProtocol

/// `ztagent dns apply`.
struct DNSApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Point the host's resolver at the stub. Idempotent; finishes an interrupted apply."
    )

    @OptionGroup var host: DNSHostOptions

    @Option(help: "The stub's address, IP or IP:PORT (resolv.conf-based modes need port 53).")
    var stub: String = "127.0.0.1:53"

    @Option(name: .customLong("domain"), help: "Split DNS: send only this domain (and its subdomains) to the stub. Repeatable. Without it, the enrolled agent's signed config decides (its private suffixes when it asks for split DNS), else every name goes to the stub. Only systemd-resolved can split.")
    var domains: [String] = []

    @Option(help: "Resolver mode instead of detection: systemd-resolved, resolvconf, direct.")
    var mode: ResolverMode?

    @Option(help: "systemd-resolved: the link the agent owns.")
    var link: String = "zt0"

    @Flag(help: "systemd-resolved: use an existing link instead of creating a veth pair.")
    var noCreateLink = false

    @Option(help: "systemd-resolved: the address given to a created link.")
    var linkAddress: String = "169.254.77.1/32"

    func run() throws {
        do {
            let request = try DNSApplyRequest(
                stub: try StubAddress(parsing: self.stub), domains: self.domains.isEmpty ? self.domainsFromConfig() : self.domains,
                linkName: self.link, createLink: !self.noCreateLink, linkAddress: self.linkAddress
            )
            switch try self.host.manager().apply(request, mode: self.mode) {
            case .unchanged(let state):
                print("dns: already applied (\(state.mode.rawValue), stub \(state.request.stub)); nothing changed")
            case .applied(let state):
                let names = state.request.domains.isEmpty ? "every name" : state.request.domains.joined(separator: " ")
                print("dns: applied \(state.mode.rawValue): \(names) -> \(state.request.stub)")
            }
        } catch let error as HostDNSError {
            printDNSError("ztagent dns apply: \(error)")
            throw ExitCode.failure
        }
    }
}

extension DNSApplyCommand {
    /// The private suffixes of the agent's config in force, when it asks for split DNS. The file
    /// was verified when the agent stored it (0600 in the 0700 state directory).
    func domainsFromConfig() -> [String] {
        let path = AgentStatePaths(directory: self.host.stateDir).config
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".")
        guard parts.count == 3, let payload = Base64URL.decode(String(parts[1])),
              let claims = try? JSONDecoder().decode(AgentConfigClaims.self, from: payload), !claims.captureAll
        else { return [] }
        return claims.privateSuffixes
    }
}

extension ResolverMode: ExpressibleByArgument {}
