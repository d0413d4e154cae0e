import DNSTransport
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TunnelRelay
import ZTProtocol

/// The service agent's side of reverse tunnels: holds one control connection to the router's
/// tunnel listener for its reverse services, and for each `DIAL` dials the backend locally and
/// carries it back to the router over a new data connection. Reconnects with backoff when the
/// control connection drops.
public final class ReverseTunnelClient: Sendable {
    private struct State {
        var targets: [String: (host: String, port: Int)] = [:]
        var control: Channel?
        var running = false
        var backoff: TimeAmount = .milliseconds(250)
        var served: Set<String> = []
        var dialBacks = 0
        var dialBackFailures = 0
        var reconnect: Scheduled<Void>?
    }

    private let dialer: RouterTunnelDialer
    private let group: EventLoopGroup
    private let logger: Logger
    private let state = NIOLockedValueBox(State())
    private static let maximumBackoff: TimeAmount = .seconds(10)

    public init(dialer: RouterTunnelDialer, group: EventLoopGroup, logger: Logger) {
        self.dialer = dialer
        self.group = group
        self.logger = logger
    }

    /// The reverse services and where their backends are (as this host reaches them). A change
    /// re-announces them on a new control connection.
    public func update(_ targets: [String: (host: String, port: Int)]) {
        let (changed, control, running) = self.state.withLockedValue { state -> (Bool, Channel?, Bool) in
            let old = state.targets.mapValues { "\($0.host):\($0.port)" }
            let new = targets.mapValues { "\($0.host):\($0.port)" }
            state.targets = targets
            return (old != new, state.control, state.running)
        }
        guard changed else { return }
        if let control {
            control.close(promise: nil)  // the close handler reconnects and announces the new set
        } else if running, !targets.isEmpty {
            self.connect()
        }
    }

    /// Starts holding the control connection (when there is anything to serve).
    public func start() {
        let shouldConnect = self.state.withLockedValue { state -> Bool in
            guard !state.running else { return false }
            state.running = true
            return !state.targets.isEmpty
        }
        if shouldConnect { self.connect() }
    }

    /// Stops and closes the control connection.
    public func stop() {
        let control = self.state.withLockedValue { state -> Channel? in
            state.running = false
            state.reconnect?.cancel()
            state.reconnect = nil
            defer { state.control = nil }
            return state.control
        }
        control?.close(promise: nil)
    }

    /// Routes the router confirmed this agent serves, and dial-back counts.
    public var status: (served: [String], connected: Bool, dialBacks: Int, failures: Int) {
        self.state.withLockedValue { ($0.served.sorted(), $0.control != nil, $0.dialBacks, $0.dialBackFailures) }
    }

    private func connect() {
        guard self.state.withLockedValue({ $0.running }) else { return }
        let loop = self.group.next()
        self.dialer.connect(serverName: ReverseTunnelProtocol.controlServerName, on: loop).whenComplete { result in
            switch result {
            case .failure(let error):
                self.logger.warning("reverse tunnel: cannot reach the router", metadata: ["error": "\(error)"])
                self.scheduleReconnect()
            case .success(let channel):
                self.attach(channel)
            }
        }
    }

    private func attach(_ channel: Channel) {
        let names = self.state.withLockedValue { state -> [String]? in
            guard state.running else { return nil }
            state.control = channel
            state.backoff = .milliseconds(250)
            state.served = []
            return state.targets.keys.sorted()
        }
        guard let names else {
            channel.close(promise: nil)
            return
        }
        channel.closeFuture.whenComplete { _ in
            let again = self.state.withLockedValue { state -> Bool in
                if state.control === channel { state.control = nil }
                state.served = []
                return state.running && !state.targets.isEmpty
            }
            if again {
                self.logger.notice("reverse tunnel: control connection closed, reconnecting")
                self.scheduleReconnect()
            }
        }
        channel.eventLoop.execute {
            do {
                let operations = channel.pipeline.syncOperations
                let pending = try operations.context(handlerType: PendingSpliceHandler.self)
                guard let holder = pending.handler as? PendingSpliceHandler else { throw ChannelPipelineError.notFound }
                try operations.addHandlers([
                    LineFrameDecoder(maximumLength: ReverseTunnelProtocol.maximumLineLength),
                    ReverseAgentControlHandler(client: self),
                ], position: .after(holder))
                holder.release(context: pending)
                for name in names {
                    channel.write(ByteBuffer(string: "SERVE \(name)\n"), promise: nil)
                }
                channel.flush()
            } catch {
                channel.close(promise: nil)
            }
        }
    }

    private func scheduleReconnect() {
        let delay = self.state.withLockedValue { state -> TimeAmount? in
            guard state.running, !state.targets.isEmpty else { return nil }
            let delay = state.backoff
            state.backoff = min(state.backoff * 2, Self.maximumBackoff)
            return delay
        }
        guard let delay else { return }
        let task = self.group.next().scheduleTask(in: delay) { self.connect() }
        self.state.withLockedValue { $0.reconnect = task }
    }

    // MARK: called by the control handler

    func served(_ name: String) {
        self.state.withLockedValue { _ = $0.served.insert(name) }
        self.logger.info("reverse tunnel serving \(name)")
    }

    func refused(_ name: String, reason: String) {
        self.logger.error("reverse tunnel: the router refused \(name): \(reason)")
    }

    /// The router asks for a connection to `name`'s backend, to be announced as `id`.
    func dialBack(id: String, name: String, control: Channel) {
        guard let target = self.state.withLockedValue({ $0.targets[name] }) else {
            control.writeAndFlush(ByteBuffer(string: "FAIL \(id)\n"), promise: nil)
            return
        }
        let loop = control.eventLoop
        let logger = self.logger
        let backend = ClientBootstrap(group: loop)
            .connectTimeout(.seconds(5))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelOption(.autoRead, value: false)
            .connect(host: target.host, port: target.port)
        backend.flatMap { backendChannel -> EventLoopFuture<(Channel, Channel)> in
            self.dialer.connect(serverName: ReverseTunnelProtocol.dataServerName, on: loop).map { (backendChannel, $0) }
                .flatMapError { error in
                    backendChannel.close(promise: nil)
                    return loop.makeFailedFuture(error)
                }
        }.flatMap { backendChannel, data -> EventLoopFuture<Void> in
            let acknowledged = loop.makePromise(of: Void.self)
            do {
                let operations = data.pipeline.syncOperations
                let pending = try operations.context(handlerType: PendingSpliceHandler.self)
                try operations.addHandler(ExpectLineHandler(expected: "OK", promise: acknowledged), position: .before(pending.handler))
            } catch {
                acknowledged.fail(error)
            }
            data.writeAndFlush(ByteBuffer(string: "ACCEPT \(id)\n"), promise: nil)
            return acknowledged.futureResult.flatMapThrowing {
                let pending = try data.pipeline.syncOperations.context(handlerType: PendingSpliceHandler.self)
                guard let holder = pending.handler as? PendingSpliceHandler else { throw ChannelPipelineError.notFound }
                let session = SpliceSession { summary in
                    logger.debug("reverse connection closed", metadata: [
                        "service": "\(name)", "bytes_to_backend": "\(summary.bytesFromClient)", "bytes_from_backend": "\(summary.bytesFromBackend)",
                    ])
                }
                try holder.handOver(context: pending, to: backendChannel, session: session, side: .client)
            }.flatMapError { error in
                data.close(promise: nil)
                backendChannel.close(promise: nil)
                return loop.makeFailedFuture(error)
            }
        }.whenComplete { result in
            switch result {
            case .success:
                self.state.withLockedValue { $0.dialBacks += 1 }
            case .failure(let error):
                self.state.withLockedValue { $0.dialBackFailures += 1 }
                logger.warning("reverse tunnel: dial-back for \(name) failed", metadata: ["error": "\(error)"])
                control.writeAndFlush(ByteBuffer(string: "FAIL \(id)\n"), promise: nil)
            }
        }
    }
}
