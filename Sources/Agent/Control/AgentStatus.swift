import Foundation
import StubResolver

/// What `ztagent status` shows: read from the running agent over its control socket.
public struct AgentStatus: Codable, Sendable {
    public struct Identity: Codable, Sendable {
        public var commonName: String?
        public var certificateNotAfter: Date?
        public var certificateSerial: String?
        /// Times a server refused this identity (revoked, expired).
        public var rejections: Int
        public var renewals: Int
        public var renewalFailures: Int
    }

    public struct Config: Codable, Sendable {
        public var version: Int64
        public var expiresAt: Date
        public var privateSuffixes: [String]
        public var refreshes: Int
        public var rejections: [String: Int]
    }

    public struct Upstream: Codable, Sendable {
        public var server: String
        public var up: Bool
        public var consecutiveFailures: Int
        public var openConnections: Int
        public var rttMilliseconds: Double?
    }

    public struct Cache: Codable, Sendable {
        public var entries: Int
        public var hits: Int
        public var misses: Int
        public var hitRate: Double
    }

    public struct Resolver: Codable, Sendable {
        public var mode: String
        public var applied: Bool
        public var intact: Bool
        public var advice: String?
    }

    public struct Network: Codable, Sendable {
        public var changes: Int
        public var lastChange: Date?
    }

    /// Private services intercepted on loopback and carried through the router.
    public struct Intercept: Codable, Sendable {
        /// Name -> "IP:PORT" listeners.
        public var listeners: [String: [String]]
        public var connections: InterceptStatistics.Counts
    }

    /// Service mode: the reverse tunnel.
    public struct ServiceMode: Codable, Sendable {
        public var services: [String]
        public var reverseConnected: Bool
        public var reverseServed: [String]
        public var dialBacks: Int
        public var dialBackFailures: Int
    }

    public var identity: Identity
    /// Enrolled agents only.
    public var config: Config?
    public var upstreams: [Upstream]
    /// Upstream TLS connections opened since start (each one a handshake).
    public var upstreamConnectionsOpened: Int
    public var cache: Cache
    public var queries: StubStatisticsSnapshot
    public var resolver: Resolver
    public var network: Network
    public var listening: [String]
    public var intercept: Intercept?
    public var serviceMode: ServiceMode?
}
