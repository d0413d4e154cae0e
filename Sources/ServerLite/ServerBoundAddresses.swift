import NIOCore

/// Where a started server actually listens (ports resolved when 0 was asked for).
public struct ServerBoundAddresses: Sendable {
    public var dot: SocketAddress
    /// The enrollment API (HTTPS).
    public var api: SocketAddress
    public var plainUDP: [SocketAddress]
    public var plainTCP: [SocketAddress]
    /// The metrics endpoint, when configured.
    public var metrics: SocketAddress? = nil
    /// The router's tunnel listener (mutual TLS).
    public var tunnel: SocketAddress? = nil
    /// The router's SNI passthrough listener, when configured.
    public var passthrough: SocketAddress? = nil
}
