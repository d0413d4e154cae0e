import DNSWire

/// One cached answer and its clock.
struct DNSCacheEntry: Sendable {
    /// The answer as received, with ID 0, kept only when it could not be pre-encoded.
    var unencoded: DNSMessage?
    /// When it was stored, in seconds of the cache's clock.
    var storedAt: UInt64
    /// Seconds it is fresh for.
    var ttl: UInt32
    /// Last second it may be served stale.
    var staleUntil: UInt64
    /// The answer pre-encoded for the fast hit path (nil when it could not be encoded).
    var encoded: EncodedAnswer?

    init(response: DNSMessage, storedAt: UInt64, ttl: UInt32, staleUntil: UInt64, encoded: EncodedAnswer?) {
        self.encoded = encoded
        self.unencoded = encoded == nil ? response : nil
        self.storedAt = storedAt
        self.ttl = ttl
        self.staleUntil = staleUntil
    }

    /// The answer as a message (decoded from the stored bytes when it was pre-encoded).
    var response: DNSMessage? { self.unencoded ?? self.encoded?.message }

    var expiresAt: UInt64 { self.storedAt + UInt64(self.ttl) }

    /// The response with every TTL lowered by the time spent in the cache (RFC 1035 7.4).
    func countedDown(to now: UInt64) -> DNSMessage? {
        let elapsed = now > self.storedAt ? now - self.storedAt : 0
        let spent = elapsed > UInt64(UInt32.max) ? UInt32.max : UInt32(elapsed)
        return self.response.map { Self.settingTTLs(of: $0) { $0 > spent ? $0 - spent : 0 } }
    }

    /// The response with every TTL replaced by `ttl` (for stale answers).
    func withTTL(_ ttl: UInt32) -> DNSMessage? {
        self.response.map { Self.settingTTLs(of: $0) { _ in ttl } }
    }

    private static func settingTTLs(of message: DNSMessage, _ transform: (UInt32) -> UInt32) -> DNSMessage {
        var message = message
        for index in message.answers.indices { message.answers[index].ttl = transform(message.answers[index].ttl) }
        for index in message.authorities.indices { message.authorities[index].ttl = transform(message.authorities[index].ttl) }
        for index in message.additionals.indices { message.additionals[index].ttl = transform(message.additionals[index].ttl) }
        return message
    }
}
