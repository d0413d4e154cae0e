/// Where the server keeps its state: one private directory (0700).
public struct ServerPaths: Sendable {
    /// The state directory.
    public let directory: String

    public init(directory: String) {
        self.directory = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
    }

    public var caCertificate: String { "\(self.directory)/ca.pem" }
    public var caKey: String { "\(self.directory)/ca.key" }
    public var serverCertificate: String { "\(self.directory)/server.pem" }
    public var serverKey: String { "\(self.directory)/server.key" }
    public var configuration: String { "\(self.directory)/server.json" }
    /// The registry database (endpoints, tokens, zones, routes, config version).
    public var registry: String { "\(self.directory)/registry.sqlite" }
    /// Signs agents' configs; agents pin its public key at enrollment.
    public var configSigningKey: String { "\(self.directory)/config-signing.key" }
    /// Signs enrollment tokens.
    public var tokenSigningKey: String { "\(self.directory)/token-signing.key" }
    /// The enrollment API's certificate (SANs: server name and the API address).
    public var apiCertificate: String { "\(self.directory)/api.pem" }
    public var apiKey: String { "\(self.directory)/api.key" }
}
