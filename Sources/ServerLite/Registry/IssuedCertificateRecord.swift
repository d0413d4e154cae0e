import Foundation

/// One certificate the CA issued to an endpoint, as the registry keeps it.
public struct IssuedCertificateRecord: Sendable, Hashable, Codable {
    /// Hex serial.
    public var serial: String
    public var commonName: String
    public var issuedAt: Date
    public var notAfter: Date
    /// `issued` (offline), `enrolled`, `renewed` or `migrated` (recorded before serial binding).
    public var cause: String
}
