import CertStore
import DNSWire
import NIOCore
import NIOExtras
import NIOPosix
import NIOSSL
import Synchronization
import TestSupport

/// A DoT server in this process (TLS 1.3, the test CA's server certificate, no client
/// certificate) that answers every query NXDOMAIN with a root SOA, as a public resolver does
/// for a name that does not exist: the server's upstream in `dot` mode.
final class NXDomainDoTServer: Sendable {
    let channel: Channel
    let port: Int
    private let counter: Counter

    /// Queries answered so far.
    var queryCount: Int { self.counter.count.load(ordering: .relaxed) }

    private init(channel: Channel, port: Int, counter: Counter) {
        self.channel = channel
        self.port = port
        self.counter = counter
    }

    static func start(pki: TestPKI, group: EventLoopGroup) async throws -> NXDomainDoTServer {
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try pki.server.identity.nioCertificateChain().map { .certificate($0) },
            privateKey: .privateKey(try pki.server.identity.nioPrivateKey())
        )
        tls.minimumTLSVersion = .tlsv13
        let context = try NIOSSLContext(configuration: tls)
        let counter = Counter()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        NIOSSLServerHandler(context: context),
                        ByteToMessageHandler(LengthFieldBasedFrameDecoder(lengthFieldBitLength: .twoBytes)),
                        LengthFieldPrepender(lengthFieldBitLength: .twoBytes),
                        AnswerHandler(counter: counter),
                    ])
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return NXDomainDoTServer(channel: channel, port: channel.localAddress?.port ?? 0, counter: counter)
    }

    func stop() {
        self.channel.close(promise: nil)
    }

    final class Counter: Sendable {
        let count = Atomic<Int>(0)
        func increment() { self.count.wrappingAdd(1, ordering: .relaxed) }
    }

    final class AnswerHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let counter: Counter

        init(counter: Counter) { self.counter = counter }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = self.unwrapInboundIn(data)
            guard let query = try? DNSMessage(parsing: Array(frame.readableBytesView)) else {
                context.close(promise: nil)
                return
            }
            self.counter.increment()
            var reply = DNSMessage.response(to: query, responseCode: .nameError)
            reply.header.recursionAvailable = true
            let soa = DNSStartOfAuthority(
                primaryServer: (try? DNSName("a.root-servers.net.")) ?? .root, responsibleMailbox: (try? DNSName("nstld.verisign-grs.com.")) ?? .root,
                serial: 2026120400, refresh: 1800, retry: 900, expire: 604_800, minimum: 86_400
            )
            reply.authorities = [DNSResourceRecord(name: .root, ttl: 86_400, data: .soa(soa))]
            guard let bytes = try? reply.serialized() else { return }
            var buffer = context.channel.allocator.buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            context.writeAndFlush(self.wrapOutboundOut(buffer), promise: nil)
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            context.close(promise: nil)
        }
    }
}
