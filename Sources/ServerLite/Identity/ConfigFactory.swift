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
            publicFailure: self.configuration.publicFailure,
            tunnel: self.configuration.tunnelAdvertise ?? self.configuration.tunnelListen,
            services: Self.grants(for: commonName, snapshot: snapshot)
        )
    }

    /// The routed services `commonName` may use: those of other, active service endpoints with at
    /// least one domain in a zone that allows it (only those domains are listed). A service
    /// endpoint's own routes are not granted back to it: it reaches its backends directly.
    static func grants(for commonName: String, snapshot: ServerStateSnapshot) -> [ServiceGrant] {
        snapshot.routes.routes.values
            .filter { snapshot.isActive($0.serviceCommonName) && $0.serviceCommonName != commonName }
            .compactMap { route -> ServiceGrant? in
                let domains = route.domains.filter { domain in
                    (try? DNSName(domain)).map { snapshot.mayConnect(commonName, to: $0) } ?? false
                }
                guard !domains.isEmpty else { return nil }
                return ServiceGrant(name: route.name, domains: domains.sorted(), ports: route.clientPorts)
            }
            .sorted { $0.name < $1.name }
    }
}
