/// What the identity manager has done since start.
public struct IdentityStatistics: Sendable, Codable, Hashable {
    public var renewals = 0
    public var renewalFailures = 0
    public var configRefreshes = 0
    public var configUpdates = 0
    public var configRefreshFailures = 0
    /// Refused configs by reason (``ConfigRejection/reason``).
    public var configRejections: [String: Int] = [:]

    public init() {}
}
