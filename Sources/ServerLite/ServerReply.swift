import NIOCore

/// The server's reply to one query: now, later (forwarded upstream), or none (dropped).
public enum ServerReply: Sendable {
    case now([UInt8]?)
    case later(EventLoopFuture<[UInt8]?>)
}
