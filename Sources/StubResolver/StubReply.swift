import NIOCore

/// What the stub sends back for one query: an answer now (a cache hit or an error), an answer
/// later (it went upstream), or nothing (the packet is dropped).
public enum StubReply: Sendable {
    case now([UInt8]?)
    case later(EventLoopFuture<[UInt8]?>)
}
