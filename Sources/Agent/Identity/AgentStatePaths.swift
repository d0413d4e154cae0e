/// The agent's state directory (0700, default /var/lib/ztagent).
///
/// The identity (key and certificate) is one file, so enrollment and renewal replace both with
/// one atomic rename: the directory holds the old identity or the new one, never a mix.
public struct AgentStatePaths: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
    }

    /// Private key and certificate, PEM, 0600.
    public var identity: String { "\(self.directory)/identity.pem" }
    /// The CA pinned at enrollment.
    public var ca: String { "\(self.directory)/ca.pem" }
    /// The config-signing keys pinned at enrollment (kid -> PEM), JSON.
    public var signingKeys: String { "\(self.directory)/signing-keys.json" }
    /// The signed config in force.
    public var config: String { "\(self.directory)/config.jwt" }
    /// Services this agent registered (service mode): what a reverse tunnel dials, JSON.
    public var services: String { "\(self.directory)/services.json" }
    /// Loopback addresses given to intercepted names, JSON.
    public var interceptAddresses: String { "\(self.directory)/intercept.json" }
    /// The running agent's process id (for `ztagent config refresh`).
    public var pid: String { "\(self.directory)/agent.pid" }
}
