import NIOCore

/// A snapshot of one upstream server's health, for status output and tests.
public struct UpstreamServerHealth: Sendable, CustomStringConvertible {
    /// The server.
    public var endpoint: DoTServerEndpoint
    /// Failures since the last success.
    public var consecutiveFailures: Int
    /// Whether the server is usable now (not in backoff).
    public var isUp: Bool
    /// Open connections to this server.
    public var openConnections: Int
    /// Smoothed round-trip time of recent answers, in milliseconds; nil before the first answer.
    public var smoothedLatencyMilliseconds: Double?

    public var description: String {
        let latency = self.smoothedLatencyMilliseconds.map { String(Int($0 * 1000) / 1000) + "ms" } ?? "-"
        return "\(self.endpoint) up=\(self.isUp) failures=\(self.consecutiveFailures) connections=\(self.openConnections) rtt=\(latency)"
    }
}
