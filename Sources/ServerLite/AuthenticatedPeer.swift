import Foundation

/// The identity a verified client certificate carries: its CN and its serial (hex), which the
/// registry must have issued last for the CN, and the end of its validity (checked again
/// whenever the identity is used, so a resumed TLS session cannot outlive its certificate).
public struct AuthenticatedPeer: Sendable, Hashable {
    public var commonName: String
    public var serial: String
    public var notValidAfter: Date

    public init(commonName: String, serial: String, notValidAfter: Date = .distantFuture) {
        self.commonName = commonName
        self.serial = serial
        self.notValidAfter = notValidAfter
    }
}
