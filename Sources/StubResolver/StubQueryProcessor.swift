import DNSTransport
import DNSWire
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// The stub's resolver core, independent of sockets: bytes of a query in, bytes of a reply out.
///
/// A query is parsed and checked (unreadable header: dropped; malformed body: FORMERR; not a
/// standard query: NOTIMP; not exactly one question: FORMERR; EDNS version above 0: BADVERS),
/// answered from the cache when it can be, and otherwise sent upstream. Identical questions in
/// flight share one upstream query. When the upstream fails, an expired answer inside the stale
/// window is served (RFC 8767), else SERVFAIL.
public final class StubQueryProcessor: Sendable {
    private struct Waiter: Sendable {
        var query: DNSMessage
        var transport: DNSTransportKind
        var promise: EventLoopPromise<[UInt8]?>
        var started: ContinuousClock.Instant?
    }

    private let upstreamBox: NIOLockedValueBox<any DNSUpstream>
    private let cache: DNSCache
    private let configuration: StubConfiguration
    private let inFlight = NIOLockedValueBox<[DNSCacheKey: [Waiter]]>([:])
    private let logger: Logger
    private let staleAllowed = Atomic<Bool>(true)
    private let observer: (any QueryObserver)?
    /// The stub's counters.
    public let statistics: StubStatistics

    /// - Parameter observer: told about each answered query (metrics); nil costs nothing.
    public init(upstream: any DNSUpstream, cache: DNSCache, configuration: StubConfiguration, statistics: StubStatistics = StubStatistics(), observer: (any QueryObserver)? = nil, logger: Logger = Logger(label: "ztagent.stub")) {
        self.observer = observer
        self.upstreamBox = NIOLockedValueBox(upstream)
        self.cache = cache
        self.configuration = configuration
        self.statistics = statistics
        self.logger = logger
    }

    /// The upstream queries go to.
    public var upstream: any DNSUpstream {
        get { self.upstreamBox.withLockedValue { $0 } }
    }

    /// Sends later cache misses to `upstream`; queries already in flight finish where they are.
    public func replaceUpstream(_ upstream: any DNSUpstream) {
        self.upstreamBox.withLockedValue { $0 = upstream }
    }

    /// Whether expired answers may be served when upstream fails (RFC 8767). Turned off when the
    /// server refuses this endpoint's identity: what it learned with that identity must not
    /// outlive the refusal.
    public var servesStale: Bool {
        get { self.staleAllowed.load(ordering: .relaxed) }
        set { self.staleAllowed.store(newValue, ordering: .relaxed) }
    }

    /// Answers one query received on `transport`. `loop` is where a later answer completes.
    public func process(_ bytes: [UInt8], transport: DNSTransportKind, on loop: EventLoop) -> StubReply {
        self.statistics.queries.wrappingAdd(1, ordering: .relaxed)
        switch transport {
        case .udp: self.statistics.udpQueries.wrappingAdd(1, ordering: .relaxed)
        case .tcp: self.statistics.tcpQueries.wrappingAdd(1, ordering: .relaxed)
        }

        if let reply = self.answerFromEncodedCache(bytes, transport: transport) {
            return .now(reply)
        }

        let incoming = IncomingQuery.classify(bytes)
        if incoming.isFormatError { self.statistics.formatErrors.wrappingAdd(1, ordering: .relaxed) }
        let query: DNSMessage
        switch incoming {
        case .dropped:
            self.statistics.droppedMalformed.wrappingAdd(1, ordering: .relaxed)
            return .now(nil)
        case .unparsable(let formatError):
            return .now(formatError)
        case .refused(let refusedQuery, let reply):
            return .now(self.encode(reply, for: refusedQuery, transport: transport))
        case .query(let accepted):
            query = accepted
        }
        guard let key = DNSCacheKey(query: query) else { return .now(nil) }
        guard key.recordClass == .internet || key.recordClass == .any else {
            self.statistics.refused.wrappingAdd(1, ordering: .relaxed)
            return .now(self.encode(ResponseBuilder.error(.refused, to: query), for: query, transport: transport))
        }

        let started = self.observer == nil ? nil : ContinuousClock.now
        if case .fresh(let cached) = self.cache.lookup(key) {
            self.statistics.cacheHits.wrappingAdd(1, ordering: .relaxed)
            if let observer = self.observer, let started {
                observer.observe(type: key.type, responseCode: cached.responseCode, cacheHit: true, duration: ContinuousClock.now - started)
            }
            return .now(self.encode(ResponseBuilder.reply(to: query, with: cached), for: query, transport: transport))
        }
        self.statistics.cacheMisses.wrappingAdd(1, ordering: .relaxed)

        let promise = loop.makePromise(of: [UInt8]?.self)
        let waiter = Waiter(query: query, transport: transport, promise: promise, started: started)
        let isFirst = self.inFlight.withLockedValue { table -> Bool in
            if table[key] != nil {
                table[key]?.append(waiter)
                return false
            }
            table[key] = [waiter]
            return true
        }
        if isFirst {
            self.forward(key)
        } else {
            self.statistics.coalesced.wrappingAdd(1, ordering: .relaxed)
        }
        return .later(promise.futureResult)
    }

    /// The cache-hit fast path: a plain query whose answer is cached fresh is answered from the
    /// stored bytes, patched. Everything else (misses, stale answers, EDNS oddities, answers that
    /// need truncation) returns nil and takes the full path.
    private func answerFromEncodedCache(_ bytes: [UInt8], transport: DNSTransportKind) -> [UInt8]? {
        guard let query = CompactQuery(bytes), query.recordClass == .internet else { return nil }
        let key = DNSCacheKey(name: query.name, type: query.type, recordClass: query.recordClass, dnssecOK: query.edns?.dnssecOK ?? false)
        let started = self.observer == nil ? nil : ContinuousClock.now
        guard let (answer, spent) = self.cache.lookupEncoded(key) else { return nil }
        let limit: Int
        switch transport {
        case .tcp: limit = 65_535
        case .udp: limit = query.edns.map { min(max(512, Int($0.payloadSize)), max(512, self.configuration.maximumUDPPayload)) } ?? 512
        }
        guard let reply = answer.reply(to: query, in: bytes, spent: spent, limit: limit) else { return nil }
        self.statistics.cacheHits.wrappingAdd(1, ordering: .relaxed)
        if let observer = self.observer, let started {
            let code = DNSResponseCode(rawValue: UInt16(reply[3] & 0x0F))
            observer.observe(type: key.type, responseCode: code, cacheHit: true, duration: ContinuousClock.now - started)
        }
        return reply
    }

    private func forward(_ key: DNSCacheKey) {
        var upstreamQuery = DNSMessage.query(id: 0, name: key.name, type: key.type, recursionDesired: true, ednsPayloadSize: 65_535)
        upstreamQuery.questions[0].questionClass = key.recordClass
        upstreamQuery.edns?.dnssecOK = key.dnssecOK
        self.upstream.query(upstreamQuery, timeout: self.configuration.upstreamTimeout).whenComplete { result in
            let waiters = self.inFlight.withLockedValue { $0.removeValue(forKey: key) ?? [] }
            switch result {
            case .success(let answer):
                // An answer means the server accepts our identity (again): stale answers may
                // be served once more when it fails later.
                if !self.servesStale { self.servesStale = true }
                self.cache.insert(answer, for: key)
                if answer.responseCode == .serverFailure {
                    self.statistics.serverFailures.wrappingAdd(waiters.count, ordering: .relaxed)
                }
                for waiter in waiters {
                    waiter.promise.succeed(self.encode(ResponseBuilder.reply(to: waiter.query, with: answer), for: waiter.query, transport: waiter.transport))
                    self.observe(waiter, key: key, responseCode: answer.responseCode)
                }
            case .failure(let error):
                self.statistics.upstreamFailures.wrappingAdd(1, ordering: .relaxed)
                let stale: DNSMessage?
                switch self.cache.lookup(key) {
                case .fresh(let message): stale = message
                case .stale(let message): stale = self.servesStale ? message : nil
                case .miss: stale = nil
                }
                if stale != nil {
                    self.statistics.staleAnswers.wrappingAdd(waiters.count, ordering: .relaxed)
                } else {
                    self.statistics.serverFailures.wrappingAdd(waiters.count, ordering: .relaxed)
                }
                self.logger.warning("upstream failed", metadata: [
                    "name": "\(key.name)", "type": "\(key.type)", "error": "\(error)", "served_stale": "\(stale != nil)",
                ])
                for waiter in waiters {
                    let reply = stale.map { ResponseBuilder.reply(to: waiter.query, with: $0) }
                        ?? ResponseBuilder.error(.serverFailure, to: waiter.query)
                    waiter.promise.succeed(self.encode(reply, for: waiter.query, transport: waiter.transport))
                    self.observe(waiter, key: key, responseCode: reply.responseCode)
                }
            }
        }
    }

    private func observe(_ waiter: Waiter, key: DNSCacheKey, responseCode: DNSResponseCode) {
        guard let observer = self.observer, let started = waiter.started else { return }
        observer.observe(type: key.type, responseCode: responseCode, cacheHit: false, duration: ContinuousClock.now - started)
    }

    private func encode(_ reply: DNSMessage, for query: DNSMessage, transport: DNSTransportKind) -> [UInt8]? {
        let limit = ResponseBuilder.sizeLimit(for: query, transport: transport, maximumUDPPayload: self.configuration.maximumUDPPayload)
        do {
            let bytes = try reply.serialized(fittingIn: limit)
            if transport == .udp, bytes.count >= 12, bytes[2] & 0x02 != 0, !reply.header.isTruncated {
                self.statistics.truncatedAnswers.wrappingAdd(1, ordering: .relaxed)
            }
            return bytes
        } catch {
            self.logger.error("could not encode reply", metadata: ["error": "\(error)"])
            return try? ResponseBuilder.error(.serverFailure, to: query).serialized(fittingIn: limit)
        }
    }
}
