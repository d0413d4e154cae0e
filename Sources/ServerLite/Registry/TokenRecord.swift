import Foundation

/// One enrollment token as the registry knows it (the JWT itself is never stored).
public struct TokenRecord: Sendable, Hashable {
    public var id: String
    public var name: String
    public var kind: String
    public var expiresAt: Date
    public var consumedAt: Date?
}
