import CertStore
import NIOCore
import NIOPosix
import NIOSSL
import Testing
import TestSupport

/// Real mutual-TLS handshakes over loopback with the certificates TestPKI makes.
@Suite("mTLS handshake")
struct HandshakeTests {
    enum Outcome: Equatable { case accepted, refused }

    static func ping(pki: TestPKI, client: TestPKI.Files?, serverHostname: String) async throws -> Outcome {
        let group = MultiThreadedEventLoopGroup.singleton

        let anchors = try TrustAnchors.nioCertificates(TrustAnchors.load(path: pki.caPath))
        var serverConfig = TLSConfiguration.makeServerConfiguration(
            certificateChain: try pki.server.identity.nioCertificateChain().map { .certificate($0) },
            privateKey: .privateKey(try pki.server.identity.nioPrivateKey())
        )
        serverConfig.certificateVerification = .noHostnameVerification
        serverConfig.trustRoots = .certificates(anchors)
        let serverContext = try NIOSSLContext(configuration: serverConfig)

        var clientConfig = TLSConfiguration.makeClientConfiguration()
        clientConfig.trustRoots = .certificates(anchors)
        if let client {
            clientConfig.certificateChain = try client.identity.nioCertificateChain().map { .certificate($0) }
            clientConfig.privateKey = .privateKey(try client.identity.nioPrivateKey())
        }
        let clientContext = try NIOSSLContext(configuration: clientConfig)

        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: serverContext))
                    try channel.pipeline.syncOperations.addHandler(EchoHandler())
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        let outcome: Outcome
        do {
            outcome = try await connect(group: group, context: clientContext, port: server.localAddress?.port, serverHostname: serverHostname)
        } catch {
            try? await server.close()
            throw error
        }
        try? await server.close()
        return outcome
    }

    static func connect(group: any EventLoopGroup, context clientContext: NIOSSLContext, port: Int?, serverHostname: String) async throws -> Outcome {
        guard let port else { throw PingHandler.ClosedEarly() }

        let reply = group.next().makePromise(of: String.self)
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        NIOSSLClientHandler(context: clientContext, serverHostname: serverHostname)
                    )
                    try channel.pipeline.syncOperations.addHandler(PingHandler(reply: reply))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        let timeout = group.next().scheduleTask(in: .seconds(10)) { reply.fail(PingHandler.ClosedEarly()) }
        defer { timeout.cancel() }
        do {
            let answer = try await reply.futureResult.get()
            try? await channel.close()
            return answer == "ping" ? .accepted : .refused
        } catch {
            try? await channel.close()
            return .refused
        }
    }

    @Test("a client of the CA is accepted; none, expired, foreign, or the wrong server name are refused")
    func handshakes() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        #expect(try await Self.ping(pki: pki, client: pki.client("good"), serverHostname: pki.serverName) == .accepted)
        #expect(try await Self.ping(pki: pki, client: nil, serverHostname: pki.serverName) == .refused)
        #expect(try await Self.ping(pki: pki, client: pki.expiredClient("old"), serverHostname: pki.serverName) == .refused)
        let foreign = try TestPKI.foreignClient("intruder", in: pki.directory + "/foreign")
        #expect(try await Self.ping(pki: pki, client: foreign, serverHostname: pki.serverName) == .refused)
        #expect(try await Self.ping(pki: pki, client: pki.client("good2"), serverHostname: "wrong.ztagent.test") == .refused)
    }
}
