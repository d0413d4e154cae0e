import Foundation

/// What one certificate is issued for: its subject CN, its purpose and its validity window.
public struct IssuanceProfile: Sendable {
    /// The purpose of a leaf certificate, which decides its ExtendedKeyUsage and SANs.
    public enum Usage: Sendable {
        /// A TLS server (EKU serverAuth). SANs: every DNS name, plus IP addresses only when given.
        ///
        /// Add IP addresses only when clients must connect by IP: NIOSSL's full verification
        /// accepts a certificate whose IP SAN equals the connected address whatever name the
        /// client expected.
        case server(dnsNames: [String], ipAddresses: [String])
        /// A TLS client (EKU clientAuth), identified by its CN. No SANs.
        case client
        /// Both (EKU serverAuth and clientAuth). SANs: the DNS names, if any.
        case serverAndClient(dnsNames: [String])
    }

    /// Clock-skew allowance the convenience constructors subtract from `now` for `notValidBefore`.
    public static let backdate: TimeInterval = 60

    /// The subject's common name (for endpoints, their identity).
    public var commonName: String
    /// What the certificate may be used for.
    public var usage: Usage
    /// Start of validity.
    public var notValidBefore: Date
    /// End of validity.
    public var notValidAfter: Date

    /// A profile with an explicit validity window.
    public init(commonName: String, usage: Usage, notValidBefore: Date, notValidAfter: Date) {
        self.commonName = commonName
        self.usage = usage
        self.notValidBefore = notValidBefore
        self.notValidAfter = notValidAfter
    }

    /// Convenience: a client certificate valid from `now` − 60 s until `now` + `lifetime`.
    public static func client(commonName: String, lifetime: TimeInterval, now: Date = Date()) -> IssuanceProfile {
        IssuanceProfile(
            commonName: commonName,
            usage: .client,
            notValidBefore: now.addingTimeInterval(-backdate),
            notValidAfter: now.addingTimeInterval(lifetime)
        )
    }

    /// Convenience: a server certificate valid from `now` − 60 s until `now` + `lifetime`.
    /// `ipAddresses` is empty by default on purpose (see ``Usage/server(dnsNames:ipAddresses:)``).
    public static func server(
        commonName: String,
        dnsNames: [String],
        ipAddresses: [String] = [],
        lifetime: TimeInterval,
        now: Date = Date()
    ) -> IssuanceProfile {
        IssuanceProfile(
            commonName: commonName,
            usage: .server(dnsNames: dnsNames, ipAddresses: ipAddresses),
            notValidBefore: now.addingTimeInterval(-backdate),
            notValidAfter: now.addingTimeInterval(lifetime)
        )
    }
}
