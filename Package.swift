// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "ztagent",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ztagent", targets: ["ztagent"]),
        .executable(name: "ztserver", targets: ["ztserver"]),
        .library(name: "DNSWire", targets: ["DNSWire"]),
        .library(name: "ServerLite", targets: ["ServerLite"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // Pure DNS wire format: no NIO, no Foundation. Shared by agent and server, fuzzable alone.
        .target(name: "DNSWire"),

        // Pure TLS ClientHello reading (SNI for routing): no NIO, no Foundation, fuzzable alone.
        .target(name: "TLSClientHello"),

        // Byte relays over NIO shared by the server's router and the agent's intercept: splicing two
        // channels with backpressure and half-close, and reading SNI before TLS.
        .target(
            name: "TunnelRelay",
            dependencies: [
                "TLSClientHello",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // DNS transports over NIO: length framing, plain UDP/TCP client, DoT connection pool.
        .target(
            name: "DNSTransport",
            dependencies: [
                "DNSWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Connection admission shared by agent and server: caps per source address while a
        // connection is in its handshake and per identity after, a handshake deadline handler,
        // and the process's descriptor limit.
        .target(
            name: "ConnectionAdmission",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),

        // The wire types agent and server share: token and config claims, API bodies.
        .target(
            name: "ZTProtocol",
            dependencies: [.product(name: "JWTKit", package: "jwt-kit")]
        ),

        // libFuzzer target for the token and config parsers in ZTProtocol (scripts/fuzz.sh protocol
        // builds it with -sanitize=fuzzer,address -D FUZZING); a plain build is a corpus replayer.
        .executableTarget(
            name: "ProtocolFuzz",
            dependencies: ["ZTProtocol", .product(name: "JWTKit", package: "jwt-kit")]
        ),

        // Prometheus metrics served on a loopback HTTP endpoint, for agent and server.
        .target(
            name: "Telemetry",
            dependencies: [
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Keys, certificates, trust anchors and the CA primitives, on disk with safe permissions.
        .target(
            name: "CertStore",
            dependencies: [
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),

        // The loopback stub: UDP/TCP listeners, cache, forwarding policy.
        .target(
            name: "StubResolver",
            dependencies: [
                "DNSWire",
                "DNSTransport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // libnl-3 (netlink route messages) for network change events.
        .systemLibrary(
            name: "CNetlink",
            pkgConfig: "libnl-route-3.0",
            providers: [.apt(["libnl-3-dev", "libnl-route-3-dev"])]
        ),

        // Kernel socket diagnostics headers (netlink sock_diag / inet_diag), for the intercept's
        // owner check: which local user opened a loopback connection.
        .systemLibrary(name: "CSockDiag"),

        // The agent: configuration, identity wiring, CLI.
        .target(
            name: "Agent",
            dependencies: [
                "DNSWire",
                "DNSTransport",
                "StubResolver",
                "CertStore",
                "ZTProtocol",
                "Telemetry",
                "TunnelRelay",
                "ConnectionAdmission",
                "CNetlink",
                "CSockDiag",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // The server: DoT with CN ACLs, zones, CA, CLI.
        .target(
            name: "ServerLite",
            dependencies: [
                "DNSWire",
                "DNSTransport",
                "CertStore",
                "ZTProtocol",
                "Telemetry",
                "TunnelRelay",
                "ConnectionAdmission",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .executableTarget(name: "ztagent", dependencies: ["Agent"]),
        .executableTarget(name: "ztserver", dependencies: ["ServerLite"]),

        // Shared test helpers: certificates made at test time, process runner, peer discovery.
        .target(
            name: "TestSupport",
            dependencies: [
                "DNSWire",
                "DNSTransport",
                "CertStore",
                "StubResolver",
                "ServerLite",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),

        .testTarget(
            name: "DNSWireTests",
            dependencies: ["DNSWire", .product(name: "PropertyBased", package: "swift-property-based")],
            resources: [.copy("Golden")]
        ),
        .testTarget(name: "TLSClientHelloTests", dependencies: ["TLSClientHello"], resources: [.copy("Captures")]),
        .testTarget(
            name: "ConnectionAdmissionTests",
            dependencies: [
                "ConnectionAdmission", "DNSTransport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "CertStoreTests", dependencies: ["CertStore", "TestSupport"]),
        .testTarget(
            name: "StubResolverTests",
            dependencies: [
                "StubResolver", "DNSTransport", "DNSWire", "TestSupport", "CertStore",
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "ServerLiteTests",
            dependencies: [
                "ServerLite", "DNSTransport", "DNSWire", "TestSupport", "CertStore", "ZTProtocol",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
            ]
        ),
        .testTarget(
            name: "AgentTests",
            dependencies: [
                "Agent", "ZTProtocol", "TestSupport", "CertStore", "ServerLite",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "HostIntegrationTests", dependencies: ["Agent", "TestSupport"], exclude: ["scripts"]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["TestSupport", "DNSWire", "CertStore"],
            exclude: ["scripts"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
