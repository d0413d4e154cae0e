import DNSWire
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOExtras
import NIOPosix
import NIOSSL
import Synchronization

/// A pool of long-lived DNS-over-TLS connections (RFC 7858) to one or more servers.
///
/// - Each server gets up to ``Configuration/connectionsPerServer`` connections, opened on demand
///   and reused; every connection carries many queries at once, matched by rewritten IDs.
/// - Servers are tried in order. A server whose connection fails is put in exponential backoff and
///   the query moves on to the next server within its deadline. One outage counts once: queries
///   that were already under way when a failure was recorded (all those in flight on a connection
///   the server dropped, say) do not escalate the backoff, so a server that restarts is tried
///   again after the first step of the backoff, not after its cap.
/// - Queries are padded to 128-byte blocks (RFC 8467).
/// - ``updateTLS(_:)`` swaps the client identity (certificate renewal) without failing queries in
///   flight: new queries use new connections; old connections are closed after a grace period.
public final class DoTUpstreamPool: DNSUpstream, Sendable {
    /// How the pool behaves.
    public struct Configuration: Sendable {
        public var servers: [DoTServerEndpoint]
        public var connectionsPerServer: Int
        public var connectTimeout: TimeAmount
        public var maxInFlightPerConnection: Int
        public var initialBackoff: TimeAmount
        public var maximumBackoff: TimeAmount
        public var paddingBlockSize: Int
        /// How long a retired connection (after an identity swap or network change) may finish its queries.
        public var retireGracePeriod: TimeAmount

        public init(
            servers: [DoTServerEndpoint],
            connectionsPerServer: Int = 2,
            connectTimeout: TimeAmount = .seconds(3),
            maxInFlightPerConnection: Int = 4096,
            initialBackoff: TimeAmount = .milliseconds(250),
            maximumBackoff: TimeAmount = .seconds(5),
            paddingBlockSize: Int = 128,
            retireGracePeriod: TimeAmount = .seconds(10)
        ) {
            self.servers = servers
            self.connectionsPerServer = max(1, connectionsPerServer)
            self.connectTimeout = connectTimeout
            self.maxInFlightPerConnection = maxInFlightPerConnection
            self.initialBackoff = initialBackoff
            self.maximumBackoff = maximumBackoff
            self.paddingBlockSize = paddingBlockSize
            self.retireGracePeriod = retireGracePeriod
        }
    }

    private enum Slot {
        case empty
        case connecting(EventLoopFuture<Channel>)
        case ready(Channel)
    }

    private struct ServerState {
        var endpoint: DoTServerEndpoint
        var slots: [Slot]
        /// When each slot last carried a query.
        var lastUsed: [NIODeadline]
        var nextSlot = 0
        var consecutiveFailures = 0
        var downUntil = NIODeadline.uptimeNanoseconds(0)
        /// When the last failure that escalated the backoff was recorded.
        var lastFailureAt = NIODeadline.uptimeNanoseconds(0)
        var smoothedLatencyNanoseconds: Double?
    }

    private struct State {
        var tlsContext: NIOSSLContext
        var servers: [ServerState]
        var isShutDown = false
    }

    private let configuration: Configuration
    private let group: EventLoopGroup
    private let state: NIOLockedValueBox<State>
    private let logger: Logger

    private let identityRejectedHandler = NIOLockedValueBox<(@Sendable (String) -> Void)?>(nil)
    private let identityRejections = Atomic<Int>(0)
    private let connectionsOpened = Atomic<Int>(0)
    private let queriesAnswered = Atomic<Int>(0)
    private let queriesFailed = Atomic<Int>(0)

    /// - Throws: when the TLS settings cannot make a context (bad key, bad certificates).
    public init(configuration: Configuration, tls: TLSClientSettings, group: EventLoopGroup, logger: Logger = Logger(label: "ztagent.upstream")) throws {
        self.configuration = configuration
        self.group = group
        self.logger = logger
        let context = try tls.makeContext()
        let servers = configuration.servers.map {
            ServerState(
                endpoint: $0,
                slots: Array(repeating: .empty, count: configuration.connectionsPerServer),
                lastUsed: Array(repeating: .uptimeNanoseconds(0), count: configuration.connectionsPerServer)
            )
        }
        self.state = NIOLockedValueBox(State(tlsContext: context, servers: servers))
    }

    // MARK: Statistics

    /// TLS connections opened since start (each is one handshake).
    public var connectionsOpenedCount: Int { self.connectionsOpened.load(ordering: .relaxed) }
    /// Queries that got an answer.
    public var answeredCount: Int { self.queriesAnswered.load(ordering: .relaxed) }
    /// Queries that failed (timeout, no server, malformed answer).
    public var failedCount: Int { self.queriesFailed.load(ordering: .relaxed) }

    /// Times a server refused this client's certificate (revoked, expired, unknown).
    public var identityRejectionCount: Int { self.identityRejections.load(ordering: .relaxed) }

    /// Called when a server refuses this client's certificate with a TLS alert (for example
    /// because the endpoint was revoked): the caller should stop serving what it learned
    /// with that identity.
    public func setIdentityRejectedHandler(_ handler: @escaping @Sendable (String) -> Void) {
        self.identityRejectedHandler.withLockedValue { $0 = handler }
    }

    /// Whether a connection error is the server refusing our certificate: a TLS alert about
    /// the certificate (bad, unknown, revoked, expired, required) or about its CA. Failures to
    /// verify the *server's* certificate carry no alert from the peer and do not count.
    public static func isIdentityRejection(_ error: any Error) -> Bool {
        let text = String(describing: error).uppercased()
        return text.contains("ALERT") && (text.contains("CERTIFICATE") || text.contains("UNKNOWN_CA"))
    }

    private func connectionFailed(_ error: any Error, server index: Int) {
        if case DNSUpstreamError.malformedResponse(let reason) = error {
            // The multiplexer closed a connection that broke the protocol or stalled; the queries
            // on it fail over (and the server backs off) through the usual path.
            self.logger.warning("closing a DoT connection", metadata: ["server_index": "\(index)", "reason": "\(reason)"])
            return
        }
        guard Self.isIdentityRejection(error) else { return }
        self.identityRejections.wrappingAdd(1, ordering: .relaxed)
        self.recordFailure(index, error: .connectFailed("identity refused"), attemptStarted: .now())
        self.logger.error("the DoT server refused this endpoint's certificate", metadata: ["error": "\(error)"])
        if let handler = self.identityRejectedHandler.withLockedValue({ $0 }) {
            handler("\(error)")
        }
    }

    /// The health of each server, in configured order.
    public func health() -> [UpstreamServerHealth] {
        let now = NIODeadline.now()
        return self.state.withLockedValue { state in
            state.servers.map { server in
                let open = server.slots.reduce(0) { count, slot in
                    if case .ready(let channel) = slot, channel.isActive { return count + 1 }
                    return count
                }
                return UpstreamServerHealth(
                    endpoint: server.endpoint,
                    consecutiveFailures: server.consecutiveFailures,
                    isUp: server.downUntil <= now,
                    openConnections: open,
                    smoothedLatencyMilliseconds: server.smoothedLatencyNanoseconds.map { $0 / 1_000_000 }
                )
            }
        }
    }

    // MARK: Control

    /// Uses a new client identity (or trust) for every connection opened from now on.
    /// Connections already open finish their queries and are closed after the grace period.
    public func updateTLS(_ tls: TLSClientSettings) throws {
        let context = try tls.makeContext()
        let retired = self.state.withLockedValue { state -> [Channel] in
            state.tlsContext = context
            return Self.detachAll(&state)
        }
        self.retire(retired)
        self.logger.info("upstream TLS identity replaced", metadata: ["retired_connections": "\(retired.count)"])
    }

    /// Drops every connection (after the grace period) and clears backoff, for example after a
    /// network change. Queries in flight still get their answers on the old connections.
    public func resetConnections() {
        let retired = self.state.withLockedValue { state -> [Channel] in
            let now = NIODeadline.now()
            for index in state.servers.indices {
                state.servers[index].consecutiveFailures = 0
                state.servers[index].downUntil = .uptimeNanoseconds(0)
                // Queries still finishing on the retired connections belong to the old network.
                state.servers[index].lastFailureAt = now
            }
            return Self.detachAll(&state)
        }
        self.retire(retired)
    }

    /// Closes every connection now; later queries fail.
    public func shutdown() {
        let channels = self.state.withLockedValue { state -> [Channel] in
            state.isShutDown = true
            return Self.detachAll(&state)
        }
        for channel in channels { channel.close(promise: nil) }
    }

    private static func detachAll(_ state: inout State) -> [Channel] {
        var channels: [Channel] = []
        for serverIndex in state.servers.indices {
            for slotIndex in state.servers[serverIndex].slots.indices {
                if case .ready(let channel) = state.servers[serverIndex].slots[slotIndex] {
                    channels.append(channel)
                }
                state.servers[serverIndex].slots[slotIndex] = .empty
            }
        }
        return channels
    }

    private func retire(_ channels: [Channel]) {
        for channel in channels {
            channel.eventLoop.scheduleTask(in: self.configuration.retireGracePeriod) {
                channel.close(promise: nil)
            }
        }
    }

    // MARK: Queries

    public func query(_ message: DNSMessage, timeout: TimeAmount) -> EventLoopFuture<DNSMessage> {
        let loop = self.group.any()
        let deadline = NIODeadline.now() + timeout
        let bytes: [UInt8]
        do {
            bytes = try message.serialized(paddingToMultipleOf: self.configuration.paddingBlockSize)
        } catch {
            return loop.makeFailedFuture(DNSUpstreamError.unencodableQuery("\(error)"))
        }
        let completion = CompletionOnce(loop.makePromise(of: DNSMessage.self))
        let deadlineTask = loop.scheduleTask(deadline: deadline) {
            completion.fail(DNSUpstreamError.timeout)
        }
        completion.promise.futureResult.whenComplete { result in
            deadlineTask.cancel()
            switch result {
            case .success: self.queriesAnswered.wrappingAdd(1, ordering: .relaxed)
            case .failure: self.queriesFailed.wrappingAdd(1, ordering: .relaxed)
            }
        }
        self.attempt(bytes: bytes, query: message, deadline: deadline, tried: [], completion: completion)
        return completion.promise.futureResult
    }

    private func attempt(bytes: [UInt8], query: DNSMessage, deadline: NIODeadline, tried: Set<Int>, completion: CompletionOnce<DNSMessage>) {
        guard !completion.isDone else { return }
        guard let serverIndex = self.pickServer(excluding: tried) else {
            completion.fail(DNSUpstreamError.noServerAvailable)
            return
        }
        let started = NIODeadline.now()
        self.channel(forServer: serverIndex).flatMap { channel -> EventLoopFuture<[UInt8]> in
            let promise = channel.eventLoop.makePromise(of: [UInt8].self)
            channel.writeAndFlush(PendingQuery(bytes: bytes, promise: promise, deadline: deadline), promise: nil)
            return promise.futureResult
        }.whenComplete { result in
            switch result {
            case .success(let answer):
                switch ResponseValidator.validate(answer, answering: query) {
                case .success(let response):
                    self.recordSuccess(serverIndex, latency: NIODeadline.now() - started)
                    completion.succeed(response)
                case .failure(let error):
                    self.logger.warning("discarding upstream answer", metadata: ["reason": "\(error)"])
                    completion.fail(error)
                }
            case .failure(let error):
                let upstreamError = (error as? DNSUpstreamError) ?? .connectFailed("\(error)")
                if upstreamError.isRetryable {
                    self.recordFailure(serverIndex, error: upstreamError, attemptStarted: started)
                    if NIODeadline.now() < deadline {
                        var nextTried = tried
                        nextTried.insert(serverIndex)
                        self.attempt(bytes: bytes, query: query, deadline: deadline, tried: nextTried, completion: completion)
                        return
                    }
                }
                completion.fail(upstreamError)
            }
        }
    }

    /// The first server, in configured order, that is not in backoff and not yet tried.
    private func pickServer(excluding tried: Set<Int>) -> Int? {
        let now = NIODeadline.now()
        return self.state.withLockedValue { state in
            guard !state.isShutDown else { return nil }
            return state.servers.indices.first { !tried.contains($0) && state.servers[$0].downUntil <= now }
        }
    }

    private func recordSuccess(_ index: Int, latency: TimeAmount) {
        self.state.withLockedValue { state in
            guard state.servers.indices.contains(index) else { return }
            state.servers[index].consecutiveFailures = 0
            state.servers[index].downUntil = .uptimeNanoseconds(0)
            let sample = Double(latency.nanoseconds)
            if let previous = state.servers[index].smoothedLatencyNanoseconds {
                state.servers[index].smoothedLatencyNanoseconds = previous * 0.875 + sample * 0.125
            } else {
                state.servers[index].smoothedLatencyNanoseconds = sample
            }
        }
    }

    /// Puts the server in backoff after a failed attempt that began at `attemptStarted`. An attempt
    /// that began before the last recorded failure belongs to the same outage (it was in flight
    /// when the connection broke) and changes nothing: otherwise the hundreds of queries in flight
    /// on a dropped connection would each double the backoff, and a server that restarts within a
    /// second would stay unused for the whole cap.
    private func recordFailure(_ index: Int, error: DNSUpstreamError, attemptStarted: NIODeadline) {
        let (endpoint, failures, backoff) = self.state.withLockedValue { state -> (DoTServerEndpoint?, Int, TimeAmount) in
            guard state.servers.indices.contains(index) else { return (nil, 0, .zero) }
            guard attemptStarted >= state.servers[index].lastFailureAt else { return (nil, 0, .zero) }
            state.servers[index].consecutiveFailures += 1
            let failures = state.servers[index].consecutiveFailures
            let exponent = min(failures - 1, 16)
            let scaled = self.configuration.initialBackoff.nanoseconds * (Int64(1) << Int64(exponent))
            let backoff = TimeAmount.nanoseconds(min(scaled, self.configuration.maximumBackoff.nanoseconds))
            let now = NIODeadline.now()
            state.servers[index].downUntil = now + backoff
            state.servers[index].lastFailureAt = now
            return (state.servers[index].endpoint, failures, backoff)
        }
        if let endpoint {
            self.logger.warning("upstream failed", metadata: [
                "server": "\(endpoint)", "error": "\(error)", "failures": "\(failures)",
                "backoff_ms": "\(backoff.nanoseconds / 1_000_000)",
            ])
        }
    }

    /// A connection to the server, round robin over its slots: the slot's open connection, the one
    /// being opened, or a new one.
    private func channel(forServer index: Int, markUsed: Bool = true) -> EventLoopFuture<Channel> {
        enum Decision {
            case use(EventLoopFuture<Channel>)
            case open(EventLoopPromise<Channel>, slot: Int, context: NIOSSLContext, endpoint: DoTServerEndpoint)
            case fail
        }
        let loop = self.group.any()
        let decision = self.state.withLockedValue { state -> Decision in
            guard !state.isShutDown, state.servers.indices.contains(index) else { return .fail }
            let count = state.servers[index].slots.count
            let slot = state.servers[index].nextSlot % count
            state.servers[index].nextSlot = (slot + 1) % count
            if markUsed { state.servers[index].lastUsed[slot] = .now() }
            switch state.servers[index].slots[slot] {
            case .ready(let channel) where channel.isActive:
                return .use(channel.eventLoop.makeSucceededFuture(channel))
            case .connecting(let future):
                return .use(future)
            case .ready, .empty:
                let promise = loop.makePromise(of: Channel.self)
                state.servers[index].slots[slot] = .connecting(promise.futureResult)
                return .open(promise, slot: slot, context: state.tlsContext, endpoint: state.servers[index].endpoint)
            }
        }
        switch decision {
        case .use(let future):
            return future
        case .fail:
            return loop.makeFailedFuture(DNSUpstreamError.noServerAvailable)
        case .open(let promise, let slot, let context, let endpoint):
            self.connect(to: endpoint, serverIndex: index, context: context, on: loop).whenComplete { result in
                self.state.withLockedValue { state in
                    guard state.servers.indices.contains(index), state.servers[index].slots.indices.contains(slot) else { return }
                    if case .connecting(let future) = state.servers[index].slots[slot], future === promise.futureResult {
                        switch result {
                        case .success(let channel): state.servers[index].slots[slot] = .ready(channel)
                        case .failure: state.servers[index].slots[slot] = .empty
                        }
                    }
                }
                if case .success(let channel) = result {
                    channel.closeFuture.whenComplete { _ in
                        let reconnect = self.state.withLockedValue { state -> Bool in
                            guard !state.isShutDown, state.servers.indices.contains(index), state.servers[index].slots.indices.contains(slot) else { return false }
                            guard case .ready(let current) = state.servers[index].slots[slot], current === channel else { return false }
                            state.servers[index].slots[slot] = .empty
                            // The server closed a connection we were using: reconnect at once, so a
                            // refusal of our identity (revocation) is noticed without waiting for a
                            // cache miss. Idle connections closed by the server's idle timeout stay closed.
                            let now = NIODeadline.now()
                            return now - state.servers[index].lastUsed[slot] < .seconds(60) && state.servers[index].downUntil <= now
                        }
                        if reconnect {
                            channel.eventLoop.scheduleTask(in: .milliseconds(50)) {
                                _ = self.channel(forServer: index, markUsed: false)
                            }
                        }
                    }
                }
                promise.completeWith(result)
            }
            return promise.futureResult
        }
    }

    private func connect(to endpoint: DoTServerEndpoint, serverIndex: Int, context: NIOSSLContext, on loop: EventLoop) -> EventLoopFuture<Channel> {
        let maxInFlight = self.configuration.maxInFlightPerConnection
        let serverName = endpoint.serverName
        return ClientBootstrap(group: loop)
            .connectTimeout(self.configuration.connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let tls = try NIOSSLClientHandler(context: context, serverHostname: serverName)
                    try channel.pipeline.syncOperations.addHandlers([
                        tls,
                        ByteToMessageHandler(LengthFieldBasedFrameDecoder(lengthFieldBitLength: .twoBytes)),
                        LengthFieldPrepender(lengthFieldBitLength: .twoBytes),
                        DNSQueryMultiplexer(maxInFlight: maxInFlight) { error in self.connectionFailed(error, server: serverIndex) },
                    ])
                }
            }
            .connect(to: endpoint.address)
            .map { channel in
                self.connectionsOpened.wrappingAdd(1, ordering: .relaxed)
                self.logger.debug("upstream connection opened", metadata: ["server": "\(endpoint)"])
                return channel
            }
            .flatMapErrorThrowing { error in
                throw DNSUpstreamError.connectFailed("\(endpoint): \(error)")
            }
    }
}
