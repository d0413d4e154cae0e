import DNSWire

/// Told about every answered query (metrics). Called on the hot path: keep it cheap.
public protocol QueryObserver: Sendable {
    func observe(type: DNSRecordType, responseCode: DNSResponseCode, cacheHit: Bool, duration: Duration)
}
