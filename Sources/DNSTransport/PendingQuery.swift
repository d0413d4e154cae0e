import NIOCore

/// One query handed to a ``DNSQueryMultiplexer``: the encoded message and where its answer goes.
///
/// The multiplexer rewrites the first two bytes (the ID) so concurrent queries on one connection
/// never collide, and restores the original ID in the answer it hands back.
public struct PendingQuery: Sendable {
    /// The encoded query (without the TCP length prefix).
    public var bytes: [UInt8]
    /// Completed with the encoded answer (original ID restored), or failed with ``DNSUpstreamError``.
    public var promise: EventLoopPromise<[UInt8]>
    /// After this the query fails with ``DNSUpstreamError/timeout``.
    public var deadline: NIODeadline

    public init(bytes: [UInt8], promise: EventLoopPromise<[UInt8]>, deadline: NIODeadline) {
        self.bytes = bytes
        self.promise = promise
        self.deadline = deadline
    }
}
