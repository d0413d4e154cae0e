import DNSWire
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TunnelRelay
import ZTProtocol

/// The agent's listeners for private services: one per (name's loopback address, port) the
/// signed config grants. Each accepted connection is carried through the router's tunnel
/// listener with this host's identity and SNI = the name; the application never knows.
public final class InterceptListeners: Sendable {
    /// One listener's key.
    struct Key: Hashable, Sendable {
        var name: String
        var address: IPv4Address
        var port: Int
    }

    private let book: InterceptAddressBook
    private let dialer: RouterTunnelDialer
    private let group: EventLoopGroup
    private let logger: Logger
    private let ownerCheck: InterceptOwnerCheck?
    private let listeners = NIOLockedValueBox<[Key: Channel]>([:])
    /// Counters.
    public let statistics = InterceptStatistics()

    /// - Parameter ownerCheck: when set, only the local users it allows are carried (see
    ///   ``InterceptOwnerPolicy``); nil carries everyone's connections.
    public init(book: InterceptAddressBook, dialer: RouterTunnelDialer, group: EventLoopGroup, ownerCheck: InterceptOwnerCheck? = nil, logger: Logger) {
        self.ownerCheck = ownerCheck
        self.book = book
        self.dialer = dialer
        self.group = group
        self.logger = logger
    }

    /// The names intercepted for `grants`.
    public static func names(_ grants: [ServiceGrant]) -> Set<DNSName> {
        Set(grants.flatMap(\.domains).compactMap { try? DNSName($0) })
    }

    /// Listens for exactly what `grants` lists: new names and ports get listeners, those no
    /// longer granted are closed (their open connections finish). A port that cannot be bound
    /// is logged and skipped; the rest still work.
    public func apply(_ grants: [ServiceGrant]) async {
        var wanted: Set<Key> = []
        for grant in grants {
            for domain in grant.domains {
                guard let address = try? self.book.address(for: domain) else {
                    self.logger.error("no intercept address for \(domain): pool exhausted")
                    continue
                }
                for port in grant.ports where (1...65_535).contains(port) {
                    wanted.insert(Key(name: InterceptAddressBook.key(domain), address: address, port: port))
                }
            }
        }
        let stale = self.listeners.withLockedValue { table -> [Channel] in
            let doomed = table.filter { !wanted.contains($0.key) }
            for key in doomed.keys { table.removeValue(forKey: key) }
            return Array(doomed.values)
        }
        for channel in stale { try? await channel.close() }
        let existing = self.listeners.withLockedValue { Set($0.keys) }
        for key in wanted.subtracting(existing).sorted(by: { ($0.name, $0.port) < ($1.name, $1.port) }) {
            do {
                let channel = try await self.bind(key)
                self.listeners.withLockedValue { $0[key] = channel }
                self.logger.info("intercepting \(key.name):\(key.port) on \(key.address)")
            } catch {
                self.logger.error("cannot listen for \(key.name) on \(key.address):\(key.port)", metadata: ["error": "\(error)"])
            }
        }
        self.statistics.listeners(self.listeners.withLockedValue { $0.count })
    }

    /// Where each intercepted name listens now: "name" -> ["IP:PORT", …].
    public var bound: [String: [String]] {
        self.listeners.withLockedValue { table in
            table.keys.reduce(into: [:]) { $0[$1.name, default: []].append("\($1.address):\($1.port)") }.mapValues { $0.sorted() }
        }
    }

    /// Closes every listener.
    public func stop() async {
        let channels = self.listeners.withLockedValue { table -> [Channel] in
            defer { table.removeAll() }
            return Array(table.values)
        }
        for channel in channels { try? await channel.close() }
    }

    private func bind(_ key: Key) async throws -> Channel {
        let dialer = self.dialer
        let statistics = self.statistics
        let logger = self.logger
        let ownerCheck = self.ownerCheck
        let name = key.name
        return try await ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 64 * 1024, high: 256 * 1024))
            .childChannelInitializer { channel in
                statistics.accepted()
                channel.closeFuture.whenComplete { _ in statistics.closed() }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        PendingSpliceHandler(),
                        InterceptConnectionHandler(serverName: name, dialer: dialer, statistics: statistics, ownerCheck: ownerCheck, logger: logger),
                    ])
                }
            }
            .bind(host: key.address.description, port: key.port)
            .get()
    }
}
