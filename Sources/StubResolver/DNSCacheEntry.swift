import DNSWire

/// One cached answer and its clock.
struct DNSCacheEntry: Sendable {
    /// The answer as received, with ID 0.
    var response: DNSMessage
    /// When it was stored, in seconds of the cache's clock.
    var storedAt: UInt64
    /// Seconds it is fresh for.
    var ttl: UInt32
    /// Last second it may be served stale.
    var staleUntil: UInt64
    /// The answer pre-encoded for the fast hit path (nil when it could not be encoded).
    var encoded: EncodedAnswer?

    var expiresAt: UInt64 { self.storedAt + UInt64(self.ttl) }

    /// The response with every TTL lowered by the time spent in the cache (RFC 1035 7.4).
    func countedDown(to now: UInt64) -> DNSMessage {
        let elapsed = now > self.storedAt ? now - self.storedAt : 0
        let spent = elapsed > UInt64(UInt32.max) ? UInt32.max : UInt32(elapsed)
        return Self.settingTTLs(of: self.response) { $0 > spent ? $0 - spent : 0 }
    }

    /// The response with every TTL replaced by `ttl` (for stale answers).
    func withTTL(_ ttl: UInt32) -> DNSMessage {
        Self.settingTTLs(of: self.response) { _ in ttl }
    }

    private static func settingTTLs(of message: DNSMessage, _ transform: (UInt32) -> UInt32) -> DNSMessage {
        var message = message
        for index in message.answers.indices { message.answers[index].ttl = transform(message.answers[index].ttl) }
        for index in message.authorities.indices { message.authorities[index].ttl = transform(message.authorities[index].ttl) }
        for index in message.additionals.indices { message.additionals[index].ttl = transform(message.additionals[index].ttl) }
        return message
    }
}
