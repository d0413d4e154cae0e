import Foundation

/// One enrolled (or offline-issued) endpoint. The CN is its identity.
public struct EndpointRecord: Codable, Sendable, Hashable {
    /// Whether an endpoint is a client or a service.
    public enum Kind: String, Codable, Sendable, CaseIterable { case client, service }
    /// Whether an endpoint may connect.
    public enum Status: String, Codable, Sendable { case active, revoked }

    public var commonName: String
    public var kind: Kind
    public var status: Status
    public var createdAt: Date
    /// Hex serial of the certificate last issued.
    public var certificateSerial: String?
    public var certificateNotAfter: Date?
    /// When the endpoint last authenticated.
    public var lastSeenAt: Date?
    /// The serial in force before the last renewal, accepted until ``previousSerialValidUntil``.
    public var previousSerial: String?
    /// The end of the previous serial's grace window.
    public var previousSerialValidUntil: Date?
    /// When the current serial was first used (nil: not yet; the previous serial may then renew
    /// again inside its grace window, for a renewal whose answer was lost).
    public var certificateConfirmedAt: Date?

    public init(commonName: String, kind: Kind, status: Status = .active, createdAt: Date = Date(), certificateSerial: String? = nil, certificateNotAfter: Date? = nil) {
        self.commonName = commonName
        self.kind = kind
        self.status = status
        self.createdAt = createdAt
        self.certificateSerial = certificateSerial
        self.certificateNotAfter = certificateNotAfter
    }
}
