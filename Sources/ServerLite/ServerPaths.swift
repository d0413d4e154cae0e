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
    public var zones: String { "\(self.directory)/zones.json" }
    public var endpoints: String { "\(self.directory)/endpoints.json" }
}
