import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The agent's control socket: a Unix stream socket (0600) that answers each connection with
/// the agent's status as JSON and closes. Read by `ztagent status`.
public final class ControlSocketServer: Sendable {
    private let path: String
    private let channel = NIOLockedValueBox<Channel?>(nil)
    private let status: @Sendable () async -> AgentStatus

    public init(path: String, status: @escaping @Sendable () async -> AgentStatus) {
        self.path = path
        self.status = status
    }

    public func start(group: EventLoopGroup) async throws {
        unlink(self.path)  // a socket left by a crashed run
        let status = self.status
        let channel = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                let promise = channel.eventLoop.makePromise(of: Void.self)
                promise.completeWithTask {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                    encoder.dateEncodingStrategy = .iso8601
                    let data = try encoder.encode(await status())
                    try await channel.writeAndFlush(ByteBuffer(data: data))
                    try await channel.close()
                }
                return channel.eventLoop.makeSucceededVoidFuture()
            }
            .bind(unixDomainSocketPath: self.path, cleanupExistingSocketFile: true)
            .get()
        chmod(self.path, 0o600)
        self.channel.withLockedValue { $0 = channel }
    }

    public func stop() async {
        if let channel = self.channel.withLockedValue({ channel -> Channel? in defer { channel = nil }; return channel }) {
            try? await channel.close()
        }
        unlink(self.path)
    }

    /// How long ``read(path:group:)`` waits for the whole answer.
    public static let answerTimeoutSeconds = 5

    /// Reads the status from a running agent's socket. Throws ``ControlSocketError``: nothing
    /// listening (`notRunning`), or no complete answer within ``answerTimeoutSeconds`` (`noAnswer`).
    public static func read(path: String, group: EventLoopGroup) async throws -> Data {
        guard !path.isEmpty else {
            throw ControlSocketError.notRunning(path: path, cause: IOError(errnoCode: ENOENT, reason: "connect"))
        }
        let collector = ByteCollector(promise: group.any().makePromise(of: [UInt8].self))
        let channel: Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
                }
                .connect(unixDomainSocketPath: path)
                .get()
        } catch {
            // The collector's promise must be completed whatever happens (NIO traps on a leaked one).
            collector.promise.fail(error)
            throw ControlSocketError.notRunning(path: path, cause: error)
        }
        let timedOut = NIOLockedValueBox(false)
        let timeout = channel.eventLoop.scheduleTask(in: .seconds(Int64(Self.answerTimeoutSeconds))) {
            timedOut.withLockedValue { $0 = true }
            channel.close(promise: nil)
        }
        let bytes: [UInt8]
        do {
            bytes = try await collector.promise.futureResult.get()
        } catch {
            timeout.cancel()
            throw ControlSocketError.notRunning(path: path, cause: error)
        }
        timeout.cancel()
        if timedOut.withLockedValue({ $0 }) {
            throw ControlSocketError.noAnswer(path: path, seconds: Self.answerTimeoutSeconds)
        }
        return Data(bytes)
    }
}

/// Collects every byte until the peer closes.
final class ByteCollector: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    let promise: EventLoopPromise<[UInt8]>
    private var bytes: [UInt8] = []  // touched only on the channel's event loop

    init(promise: EventLoopPromise<[UInt8]>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.bytes += self.unwrapInboundIn(data).readableBytesView
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.promise.succeed(self.bytes)
    }
}
