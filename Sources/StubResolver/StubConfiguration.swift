import NIOCore

/// How the stub listens and resolves.
public struct StubConfiguration: Sendable {
    /// Addresses (with ports) to serve on, UDP and TCP each. Default 127.0.0.1:53.
    public var listenAddresses: [SocketAddress]
    /// Binding anything but a loopback address must be asked for explicitly.
    public var allowNonLoopback: Bool
    /// How long a query may wait for upstream before it gets SERVFAIL (or a stale answer).
    public var upstreamTimeout: TimeAmount
    /// Largest UDP answer sent whatever the client advertises.
    public var maximumUDPPayload: Int
    /// TCP connections open at once; more are closed at accept. Each costs a file descriptor and
    /// a few kilobytes while open; the agent raises its descriptor limit to fit.
    public var maximumTCPConnections: Int
    /// Queries one TCP connection may have in flight at once (RFC 7766 pipelining).
    public var maximumQueriesPerTCPConnection: Int
    /// A TCP connection with no query in flight and no complete query received for this long is
    /// closed (bytes of an unfinished query do not count: slowloris clients are closed too).
    public var tcpIdleTimeout: TimeAmount
    /// Answers kept in the cache.
    public var cacheCapacity: Int
    /// Cache lifetimes.
    public var cachePolicy: CachePolicy

    public init(
        listenAddresses: [SocketAddress],
        allowNonLoopback: Bool = false,
        upstreamTimeout: TimeAmount = .seconds(3),
        maximumUDPPayload: Int = 4096,
        maximumTCPConnections: Int = 16_384,
        maximumQueriesPerTCPConnection: Int = 256,
        tcpIdleTimeout: TimeAmount = .seconds(10),
        cacheCapacity: Int = 100_000,
        cachePolicy: CachePolicy = CachePolicy()
    ) {
        self.listenAddresses = listenAddresses
        self.allowNonLoopback = allowNonLoopback
        self.upstreamTimeout = upstreamTimeout
        self.maximumUDPPayload = maximumUDPPayload
        self.maximumTCPConnections = maximumTCPConnections
        self.maximumQueriesPerTCPConnection = maximumQueriesPerTCPConnection
        self.tcpIdleTimeout = tcpIdleTimeout
        self.cacheCapacity = cacheCapacity
        self.cachePolicy = cachePolicy
    }
}
