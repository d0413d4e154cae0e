import NIOSSL

/// What a DoT client presents and trusts.
public struct TLSClientSettings: Sendable {
    /// The client certificate chain, leaf first; empty for no client certificate.
    public var certificateChain: [NIOSSLCertificate]
    /// The key of the leaf certificate; nil for no client certificate.
    public var privateKey: NIOSSLPrivateKey?
    /// The only certificates trusted to sign the server's certificate; empty means the system store.
    public var trustRoots: [NIOSSLCertificate]
    /// The lowest TLS version accepted. TLS 1.3 unless an operator lowers it.
    public var minimumTLSVersion: TLSVersion

    public init(
        certificateChain: [NIOSSLCertificate] = [],
        privateKey: NIOSSLPrivateKey? = nil,
        trustRoots: [NIOSSLCertificate] = [],
        minimumTLSVersion: TLSVersion = .tlsv13
    ) {
        self.certificateChain = certificateChain
        self.privateKey = privateKey
        self.trustRoots = trustRoots
        self.minimumTLSVersion = minimumTLSVersion
    }

    /// Builds the TLS context: full verification of the server's chain and name.
    public func makeContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = self.minimumTLSVersion
        configuration.certificateVerification = .fullVerification
        configuration.trustRoots = self.trustRoots.isEmpty ? .default : .certificates(self.trustRoots)
        if let key = self.privateKey, !self.certificateChain.isEmpty {
            configuration.certificateChain = self.certificateChain.map { .certificate($0) }
            configuration.privateKey = .privateKey(key)
        }
        return try NIOSSLContext(configuration: configuration)
    }
}
