import Synchronization

/// Counters of the stub, safe to bump from any event loop.
public final class StubStatistics: Sendable {
    let queries = Atomic<Int>(0)
    let udpQueries = Atomic<Int>(0)
    let tcpQueries = Atomic<Int>(0)
    let cacheHits = Atomic<Int>(0)
    let cacheMisses = Atomic<Int>(0)
    let coalesced = Atomic<Int>(0)
    let staleAnswers = Atomic<Int>(0)
    let serverFailures = Atomic<Int>(0)
    let formatErrors = Atomic<Int>(0)
    let droppedMalformed = Atomic<Int>(0)
    let upstreamFailures = Atomic<Int>(0)
    let refused = Atomic<Int>(0)
    let truncatedAnswers = Atomic<Int>(0)
    let tcpConnectionsRefused = Atomic<Int>(0)

    public init() {}

    /// A consistent-enough copy of the counters.
    public func snapshot() -> StubStatisticsSnapshot {
        StubStatisticsSnapshot(
            queries: self.queries.load(ordering: .relaxed),
            udpQueries: self.udpQueries.load(ordering: .relaxed),
            tcpQueries: self.tcpQueries.load(ordering: .relaxed),
            cacheHits: self.cacheHits.load(ordering: .relaxed),
            cacheMisses: self.cacheMisses.load(ordering: .relaxed),
            coalesced: self.coalesced.load(ordering: .relaxed),
            staleAnswers: self.staleAnswers.load(ordering: .relaxed),
            serverFailures: self.serverFailures.load(ordering: .relaxed),
            formatErrors: self.formatErrors.load(ordering: .relaxed),
            droppedMalformed: self.droppedMalformed.load(ordering: .relaxed),
            upstreamFailures: self.upstreamFailures.load(ordering: .relaxed),
            refused: self.refused.load(ordering: .relaxed),
            truncatedAnswers: self.truncatedAnswers.load(ordering: .relaxed),
            tcpConnectionsRefused: self.tcpConnectionsRefused.load(ordering: .relaxed)
        )
    }
}

/// The stub's counters at one moment.
public struct StubStatisticsSnapshot: Sendable, Codable, Hashable {
    public var queries: Int
    public var udpQueries: Int
    public var tcpQueries: Int
    public var cacheHits: Int
    public var cacheMisses: Int
    /// Queries that joined an identical question already on its way upstream.
    public var coalesced: Int
    public var staleAnswers: Int
    public var serverFailures: Int
    /// Malformed queries answered with FORMERR.
    public var formatErrors: Int
    /// Packets dropped because not even a header could be read (or they were responses).
    public var droppedMalformed: Int
    public var upstreamFailures: Int
    public var refused: Int
    /// UDP answers cut to fit the client's payload size (TC set).
    public var truncatedAnswers: Int
    /// TCP connections closed at accept because the connection cap was reached.
    public var tcpConnectionsRefused: Int
}
