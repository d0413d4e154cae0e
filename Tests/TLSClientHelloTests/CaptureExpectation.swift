/// What each real capture in `Captures/` must parse to (see `Captures/capture.py` for the commands).
struct CaptureExpectation: Sendable, CustomStringConvertible {
    /// The file name without `.bin`.
    var name: String
    /// The expected SNI (lowercased, as the reader reports it).
    var serverName: String?
    /// The expected ALPN list.
    var applicationProtocols: [String]
    /// The expected supported_versions (or legacy_version) list.
    var offeredVersions: [UInt16]

    var description: String { name }

    /// TLS 1.3 down to 1.0, as OpenSSL 3.0 and GnuTLS 3.7 offer by default.
    static let allFour: [UInt16] = [0x0304, 0x0303, 0x0302, 0x0301]

    /// One entry per committed capture.
    static let all: [CaptureExpectation] = [
        .init(name: "curl-http11", serverName: "web.corp.test", applicationProtocols: ["http/1.1"], offeredVersions: allFour),
        .init(name: "curl-https", serverName: "svc.corp.test", applicationProtocols: ["h2", "http/1.1"], offeredVersions: allFour),
        .init(name: "gnutls-cli", serverName: "mail.corp.test", applicationProtocols: ["imap"], offeredVersions: allFour),
        .init(name: "java-jsse", serverName: "jdk.corp.test", applicationProtocols: ["h2", "http/1.1"],
              offeredVersions: [0x0304, 0x0303]),
        .init(name: "kdig-dot", serverName: "dns.corp.test", applicationProtocols: ["dot"], offeredVersions: allFour),
        .init(name: "openssl-large-ffdhe", serverName: "big.corp.test",
              applicationProtocols: ["h2", "http/1.1", "spdy/3.1", "acme-tls/1"], offeredVersions: allFour),
        .init(name: "openssl-mixed-case-sni", serverName: "mixed.corp.test", applicationProtocols: ["dot"],
              offeredVersions: allFour),
        .init(name: "openssl-resumption-psk", serverName: "psk.corp.test", applicationProtocols: [], offeredVersions: allFour),
        .init(name: "openssl-s_client-tls13", serverName: "db.corp.test", applicationProtocols: [], offeredVersions: [0x0304]),
        .init(name: "openssl-tls12-no-sni", serverName: nil, applicationProtocols: [], offeredVersions: [0x0303]),
    ]
}
