import DNSWire

/// The outcome of a cache lookup.
public enum DNSCacheLookup: Sendable {
    /// A live answer, its TTLs counted down to the time of the lookup.
    case fresh(DNSMessage)
    /// An expired answer still inside the stale window (RFC 8767), TTLs set to the stale TTL.
    /// Only to be used when no upstream can answer.
    case stale(DNSMessage)
    /// Nothing usable.
    case miss
}
