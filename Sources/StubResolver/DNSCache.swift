import DNSWire
import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// The stub's answer cache: TTLs count down, negative answers are cached per RFC 2308, expired
/// answers stay available for serve-stale (RFC 8767), and the size is bounded with LRU eviction.
///
/// Entries are spread over shards, each behind its own lock, so event loops rarely contend.
public final class DNSCache: Sendable {
    /// Seconds on a monotonic clock; injectable so tests can move time.
    public typealias Clock = @Sendable () -> UInt64

    private let shards: [NIOLockedValueBox<LRUCacheShard<DNSCacheKey, DNSCacheEntry>>]
    private let policy: CachePolicy
    private let clock: Clock
    private let evictions = Atomic<Int>(0)

    /// - Parameters:
    ///   - capacity: the most answers kept (spread over 16 shards from 4096 up).
    ///   - clock: seconds since an arbitrary point; defaults to the monotonic uptime clock.
    public init(capacity: Int = 100_000, policy: CachePolicy = CachePolicy(), clock: Clock? = nil) {
        // Sharding spreads lock contention; a small cache keeps one shard so LRU stays exact.
        let shardCount = capacity >= 4096 ? 16 : 1
        let perShard = max(1, (capacity + shardCount - 1) / shardCount)
        self.shards = (0..<shardCount).map { _ in NIOLockedValueBox(LRUCacheShard(capacity: perShard)) }
        self.policy = policy
        self.clock = clock ?? { NIODeadline.now().uptimeNanoseconds / 1_000_000_000 }
    }

    /// The policy in force.
    public var cachePolicy: CachePolicy { self.policy }

    private func shard(for key: DNSCacheKey) -> NIOLockedValueBox<LRUCacheShard<DNSCacheKey, DNSCacheEntry>> {
        let hash = key.hashValue
        return self.shards[Int(UInt(bitPattern: hash) % UInt(self.shards.count))]
    }

    /// Looks up an answer. Fresh answers come with counted-down TTLs; expired ones inside the stale
    /// window come back as ``DNSCacheLookup/stale(_:)``; anything older is removed.
    public func lookup(_ key: DNSCacheKey) -> DNSCacheLookup {
        let now = self.clock()
        let shard = self.shard(for: key)
        let entry: DNSCacheEntry? = shard.withLockedValue { shard in
            guard let entry = shard.get(key) else { return nil }
            if now > entry.staleUntil {
                shard.remove(key)
                return nil
            }
            return entry
        }
        guard let entry else { return .miss }
        if now < entry.expiresAt {
            return entry.countedDown(to: now).map { .fresh($0) } ?? .miss
        }
        return entry.withTTL(self.policy.staleAnswerTTL).map { .stale($0) } ?? .miss
    }

    /// A fresh answer's pre-encoded form and the seconds it spent in the cache, for the fast
    /// hit path; nil on a miss, a stale entry or one without an encoded form.
    func lookupEncoded(_ key: DNSCacheKey) -> (answer: EncodedAnswer, spent: UInt32)? {
        let now = self.clock()
        let found = self.shard(for: key).withLockedValue { shard -> (EncodedAnswer, UInt64)? in
            guard let entry = shard.get(key), now < entry.expiresAt, let encoded = entry.encoded else { return nil }
            return (encoded, entry.storedAt)
        }
        guard let (answer, storedAt) = found else { return nil }
        let elapsed = now > storedAt ? now - storedAt : 0
        return (answer, elapsed > UInt64(UInt32.max) ? UInt32.max : UInt32(elapsed))
    }

    /// Stores `response` if the policy says it may be cached. Returns the TTL used, or nil.
    @discardableResult
    public func insert(_ response: DNSMessage, for key: DNSCacheKey) -> UInt32? {
        guard let ttl = self.policy.ttl(for: response), ttl > 0 else { return nil }
        let now = self.clock()
        var stored = response
        stored.header.id = 0
        let entry = DNSCacheEntry(response: stored, storedAt: now, ttl: ttl, staleUntil: now + UInt64(ttl) + UInt64(self.policy.staleWindow),
                                  encoded: EncodedAnswer(response: stored, key: key))
        let evicted = self.shard(for: key).withLockedValue { $0.set(key, entry) }
        if evicted > 0 { self.evictions.wrappingAdd(evicted, ordering: .relaxed) }
        return ttl
    }

    /// Forgets every answer.
    public func removeAll() {
        for shard in self.shards { shard.withLockedValue { $0.removeAll() } }
    }

    /// Answers held (fresh and stale).
    public var count: Int {
        self.shards.reduce(0) { $0 + $1.withLockedValue { $0.count } }
    }

    /// Entries evicted to make room since start.
    public var evictionCount: Int { self.evictions.load(ordering: .relaxed) }
}
