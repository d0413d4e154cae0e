import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Prometheus

/// Serves `GET /metrics` (Prometheus text format) on a loopback address.
///
/// `collect` runs before each scrape so values kept elsewhere (atomic counters on hot paths,
/// pool health, cache size) are copied into the registry only when someone asks.
public final class MetricsServer: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let collect: @Sendable () async -> Void
    private let logger: Logger
    private let task = NIOLockedValueBox<Task<Void, Error>?>(nil)

    public init(registry: PrometheusCollectorRegistry, logger: Logger, collect: @escaping @Sendable () async -> Void) {
        self.registry = registry
        self.logger = logger
        self.collect = collect
    }

    /// Binds `host:port` (loopback only unless `allowNonLoopback`) and returns the bound address.
    public func start(host: String, port: Int, group: EventLoopGroup, allowNonLoopback: Bool = false) async throws -> SocketAddress {
        guard allowNonLoopback || host.hasPrefix("127.") || host == "::1" else {
            throw MetricsServerError.notLoopback(host)
        }
        let router = Router()
        let registry = self.registry
        let collect = self.collect
        router.get("/metrics") { _, _ -> Response in
            await collect()
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        let (stream, continuation) = AsyncStream.makeStream(of: SocketAddress?.self)
        let application = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress)
                continuation.finish()
            },
            eventLoopGroupProvider: .shared(group),
            logger: self.logger
        )
        let task = Task {
            defer { continuation.finish() }
            try await application.run()
        }
        self.task.withLockedValue { $0 = task }
        for await bound in stream {
            if let bound { return bound }
        }
        // The server ended before it listened: its error says why (address in use, ...).
        do {
            try await task.value
            throw MetricsServerError.bindFailed("\(host):\(port)", reason: "the server stopped before it listened")
        } catch let error as MetricsServerError {
            throw error
        } catch {
            throw MetricsServerError.bindFailed("\(host):\(port)", reason: "\(error)")
        }
    }

    public func stop() async {
        if let task = self.task.withLockedValue({ task -> Task<Void, Error>? in defer { task = nil }; return task }) {
            task.cancel()
            _ = try? await task.value
        }
    }
}

/// Why the metrics endpoint could not start.
