import NIOCore

/// One DoT server: where to connect and which name its certificate must carry.
///
/// The address is always an IP literal so the agent never needs DNS (and never its own stub) to
/// reach its upstream.
public struct DoTServerEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// The IP address and port.
    public var address: SocketAddress
    /// The name checked against the server certificate's subject alternative names.
    public var serverName: String

    /// - Throws: when `host` is not an IP address literal.
    public init(host: String, port: Int, serverName: String) throws {
        self.address = try SocketAddress(ipAddress: host, port: port)
        self.serverName = serverName
    }

    public init(address: SocketAddress, serverName: String) {
        self.address = address
        self.serverName = serverName
    }

    public var description: String { "\(self.serverName)@\(self.address.ipAddress ?? "?"):\(self.address.port ?? 0)" }
}
