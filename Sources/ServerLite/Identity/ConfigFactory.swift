import DNSWire
import Foundation
import ZTProtocol

/// Builds the config claims for one endpoint from the server's settings and state.
public struct ConfigFactory: Sendable {
    public let configuration: ServerConfiguration

    public init(configuration: ServerConfiguration) {
        self.configuration = configuration
    }

    /// The endpoint's config: where its DoT servers and API are, the router, and the private
    /// suffixes it may resolve (split DNS) — only the zones it is allowed to see.
    public func claims(for commonName: String, snapshot: ServerStateSnapshot, version: Int64, now: Date = Date()) -> AgentConfigClaims {
        let suffixes = snapshot.zones
            .filter { $0.allows(commonName) }
            .map { zone -> String in
                var text = zone.origin.description
                if text.hasSuffix(".") { text.removeLast() }
                return text
            }
            .sorted()
        return AgentConfigClaims(
            audience: commonName,
            issuedAt: now,
            notBefore: now.addingTimeInterval(-60),
            expiresAt: now.addingTimeInterval(TimeInterval(self.configuration.configLifetimeSeconds)),
            version: version,
            servers: [AgentConfigClaims.Server(address: self.configuration.advertisedDoT, name: self.configuration.serverName)],
            apiURL: self.configuration.apiURL,
            routerAddress: self.configuration.routerAddress,
            privateSuffixes: suffixes,
            refreshSeconds: self.configuration.configRefreshSeconds,
            renewAtFraction: self.configuration.renewAtFraction,
            captureAll: !self.configuration.splitDNS,
            publicFailure: self.configuration.publicFailure
        )
    }
}
