import DNSWire
import NIOCore

/// Something that answers DNS queries: a DoT pool, a plain DNS server, or a policy over several.
public protocol DNSUpstream: Sendable {
    /// Sends `message` and completes with the validated answer, or fails with ``DNSUpstreamError``.
    /// The answer's ID is the query's ID.
    func query(_ message: DNSMessage, timeout: TimeAmount) -> EventLoopFuture<DNSMessage>
}
