import DNSWire
import NIOConcurrencyHelpers
import Testing
@testable import StubResolver

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let seconds = NIOLockedValueBox<UInt64>(1_000)
    var now: UInt64 { self.seconds.withLockedValue { $0 } }
    func advance(_ delta: UInt64) { self.seconds.withLockedValue { $0 += delta } }
    var clock: DNSCache.Clock { { self.now } }
}

/// A name the test spells; a typo fails the test instead of quietly becoming the root.
private func name(_ text: String) -> DNSName {
    do {
        return try DNSName(text)
    } catch {
        Issue.record("'\(text)' is not a valid name: \(error)")
        return .root
    }
}

private func answer(_ qname: String, ttl: UInt32, address: IPv4Address = IPv4Address(192, 0, 2, 1)) -> DNSMessage {
    let query = DNSMessage.query(id: 7, name: name(qname), type: .a)
    var response = DNSMessage.response(to: query, responseCode: .noError)
    response.answers = [DNSResourceRecord(name: name(qname), ttl: ttl, data: .a(address))]
    return response
}

private func negative(_ qname: String, code: DNSResponseCode, soaTTL: UInt32, minimum: UInt32) -> DNSMessage {
    let query = DNSMessage.query(id: 7, name: name(qname), type: .a)
    var response = DNSMessage.response(to: query, responseCode: code)
    let soa = DNSStartOfAuthority(primaryServer: name("ns.example."), responsibleMailbox: name("h.example."), serial: 1, refresh: 1, retry: 1, expire: 1, minimum: minimum)
    response.authorities = [DNSResourceRecord(name: name("example."), ttl: soaTTL, data: .soa(soa))]
    return response
}

private func key(_ qname: String, _ type: DNSRecordType = .a, dnssecOK: Bool = false) -> DNSCacheKey {
    DNSCacheKey(name: name(qname), type: type, recordClass: .internet, dnssecOK: dnssecOK)
}

@Suite struct DNSCacheTests {
    @Test func ttlCountsDownAndExpires() {
        let clock = ManualClock()
        let cache = DNSCache(capacity: 100, policy: CachePolicy(staleWindow: 10), clock: clock.clock)
        #expect(cache.insert(answer("a.example.", ttl: 100), for: key("a.example.")) == 100)
        clock.advance(40)
        guard case .fresh(let fresh) = cache.lookup(key("A.EXAMPLE.")) else {
            Issue.record("expected a fresh hit (lookup is case-insensitive)")
            return
        }
        #expect(fresh.answers.first?.ttl == 60)
        #expect(fresh.header.id == 0)
        clock.advance(60)
        guard case .stale(let stale) = cache.lookup(key("a.example.")) else {
            Issue.record("expected a stale entry after expiry")
            return
        }
        #expect(stale.answers.first?.ttl == 30)
        clock.advance(11)
        guard case .miss = cache.lookup(key("a.example.")) else {
            Issue.record("expected a miss after the stale window")
            return
        }
        #expect(cache.count == 0)
    }

    @Test func smallestAnswerTTLWins() {
        let cache = DNSCache(capacity: 10, clock: ManualClock().clock)
        var response = answer("m.example.", ttl: 300)
        response.answers.append(DNSResourceRecord(name: name("m.example."), ttl: 20, data: .a(IPv4Address(192, 0, 2, 2))))
        #expect(cache.insert(response, for: key("m.example.")) == 20)
    }

    @Test func negativeAnswersUseSOAMinimum() {
        let cache = DNSCache(capacity: 10, clock: ManualClock().clock)
        // RFC 2308: min(SOA TTL, SOA MINIMUM)
        #expect(cache.insert(negative("n.example.", code: .nameError, soaTTL: 900, minimum: 60), for: key("n.example.")) == 60)
        #expect(cache.insert(negative("d.example.", code: .noError, soaTTL: 45, minimum: 600), for: key("d.example.")) == 45)
        guard case .fresh(let cached) = cache.lookup(key("n.example.")) else {
            Issue.record("negative answer not cached")
            return
        }
        #expect(cached.responseCode == .nameError)
    }

    @Test func uncacheableAnswers() {
        let cache = DNSCache(capacity: 10, clock: ManualClock().clock)
        let query = DNSMessage.query(id: 1, name: name("x.example."), type: .a)
        // NXDOMAIN without SOA, SERVFAIL, REFUSED, truncated, zero TTL.
        #expect(cache.insert(DNSMessage.response(to: query, responseCode: .nameError), for: key("x.example.")) == nil)
        #expect(cache.insert(DNSMessage.response(to: query, responseCode: .serverFailure), for: key("x.example.")) == nil)
        #expect(cache.insert(DNSMessage.response(to: query, responseCode: .refused), for: key("x.example.")) == nil)
        var truncated = answer("x.example.", ttl: 100)
        truncated.header.isTruncated = true
        #expect(cache.insert(truncated, for: key("x.example.")) == nil)
        #expect(cache.insert(answer("x.example.", ttl: 0), for: key("x.example.")) == nil)
        #expect(cache.count == 0)
    }

    @Test func maximumTTLCaps() {
        let cache = DNSCache(capacity: 10, policy: CachePolicy(maximumTTL: 3600), clock: ManualClock().clock)
        #expect(cache.insert(answer("big.example.", ttl: 604_800), for: key("big.example.")) == 3600)
    }

    @Test func dnssecOKIsPartOfTheKey() {
        let cache = DNSCache(capacity: 10, clock: ManualClock().clock)
        cache.insert(answer("k.example.", ttl: 100), for: key("k.example."))
        guard case .miss = cache.lookup(key("k.example.", dnssecOK: true)) else {
            Issue.record("an answer cached without DO must not answer a DO query")
            return
        }
    }

    @Test func sizeIsBounded() {
        let cache = DNSCache(capacity: 160, clock: ManualClock().clock)
        for index in 0..<5_000 {
            cache.insert(answer("n\(index).example.", ttl: 100), for: key("n\(index).example."))
        }
        #expect(cache.count <= 160)
        #expect(cache.evictionCount >= 5_000 - 160)
        // The most recent insert survives.
        guard case .fresh = cache.lookup(key("n4999.example.")) else {
            Issue.record("most recent entry evicted")
            return
        }
    }
}

@Suite struct LRUCacheShardTests {
    @Test func evictsLeastRecentlyUsed() {
        var shard = LRUCacheShard<Int, String>(capacity: 3)
        shard.set(1, "a")
        shard.set(2, "b")
        shard.set(3, "c")
        #expect(shard.get(1) == "a")  // 1 is now most recent; 2 is least
        #expect(shard.set(4, "d") == 1)
        #expect(shard.get(2) == nil)
        #expect(shard.get(1) == "a")
        #expect(shard.get(3) == "c")
        #expect(shard.get(4) == "d")
        #expect(shard.count == 3)
    }

    @Test func removeAndReuseSlots() {
        var shard = LRUCacheShard<Int, Int>(capacity: 2)
        for round in 0..<1_000 {
            shard.set(round, round)
            if round % 3 == 0 { shard.remove(round) }
            #expect(shard.count <= 2)
        }
        shard.set(5_000, 1)
        shard.set(5_001, 2)
        #expect(shard.get(5_000) == 1)
        #expect(shard.get(5_001) == 2)
    }
}
