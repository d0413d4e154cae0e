import NIOCore

/// The answer ``DNSStreamServingHandler`` writes for one query: now, later, or none (dropped).
public enum DNSStreamReply: Sendable {
    case now([UInt8]?)
    case later(EventLoopFuture<[UInt8]?>)
}
