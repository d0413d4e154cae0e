import DNSWire
import NIOCore
import NIOExtras
import NIOPosix

/// A classic DNS server reached over UDP, retrying over TCP when the answer is truncated.
///
/// Each UDP query uses a fresh socket (random source port) and a fresh random ID. Servers are
/// tried in order until one answers within the deadline.
public final class PlainDNSUpstream: DNSUpstream, Sendable {
    private let servers: [SocketAddress]
    private let group: EventLoopGroup
    private let udpPayloadSize: UInt16

    /// - Parameters:
    ///   - servers: IP addresses and ports, tried in order.
    ///   - udpPayloadSize: the EDNS payload size advertised on UDP queries.
    public init(servers: [SocketAddress], group: EventLoopGroup, udpPayloadSize: UInt16 = 1232) {
        self.servers = servers
        self.group = group
        self.udpPayloadSize = udpPayloadSize
    }

    public func query(_ message: DNSMessage, timeout: TimeAmount) -> EventLoopFuture<DNSMessage> {
        let loop = self.group.any()
        let deadline = NIODeadline.now() + timeout
        let originalID = message.header.id
        return self.attempt(message, serverIndex: 0, deadline: deadline, on: loop).map { response in
            var response = response
            response.header.id = originalID
            return response
        }
    }

    private func attempt(_ message: DNSMessage, serverIndex: Int, deadline: NIODeadline, on loop: EventLoop) -> EventLoopFuture<DNSMessage> {
        guard serverIndex < self.servers.count else {
            return loop.makeFailedFuture(DNSUpstreamError.noServerAvailable)
        }
        let server = self.servers[serverIndex]
        var prepared = message
        prepared.header.id = UInt16.random(in: .min ... .max)
        if var edns = prepared.edns {
            edns.udpPayloadSize = self.udpPayloadSize
            edns.options.removeAll { $0.code == EDNSOption.paddingCode }
            prepared.edns = edns
        }
        let query = prepared
        return self.udp(query, server: server, deadline: deadline, on: loop).flatMap { response in
            if response.header.isTruncated {
                return self.tcp(query, server: server, deadline: deadline, on: loop)
            }
            return loop.makeSucceededFuture(response)
        }.flatMapError { error in
            if let upstream = error as? DNSUpstreamError, upstream.isRetryable || upstream == .timeout,
               serverIndex + 1 < self.servers.count, NIODeadline.now() < deadline {
                return self.attempt(message, serverIndex: serverIndex + 1, deadline: deadline, on: loop)
            }
            return loop.makeFailedFuture(error)
        }
    }

    private func udp(_ query: DNSMessage, server: SocketAddress, deadline: NIODeadline, on loop: EventLoop) -> EventLoopFuture<DNSMessage> {
        let bytes: [UInt8]
        do {
            bytes = try query.serialized()
        } catch {
            return loop.makeFailedFuture(DNSUpstreamError.unencodableQuery("\(error)"))
        }
        let completion = CompletionOnce(loop.makePromise(of: [UInt8].self))
        let bindHost = server.protocol == .inet6 ? "::" : "0.0.0.0"
        let id = query.header.id
        DatagramBootstrap(group: loop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(UDPQueryHandler(server: server, id: id, completion: completion))
                }
            }
            .bind(host: bindHost, port: 0)
            .whenComplete { result in
                switch result {
                case .failure(let error):
                    completion.fail(DNSUpstreamError.connectFailed("\(error)"))
                case .success(let channel):
                    let timeout = channel.eventLoop.scheduleTask(deadline: deadline) {
                        completion.fail(DNSUpstreamError.timeout)
                        channel.close(promise: nil)
                    }
                    completion.promise.futureResult.whenComplete { _ in
                        timeout.cancel()
                        channel.close(promise: nil)
                    }
                    var buffer = channel.allocator.buffer(capacity: bytes.count)
                    buffer.writeBytes(bytes)
                    channel.writeAndFlush(AddressedEnvelope(remoteAddress: server, data: buffer), promise: nil)
                }
            }
        return completion.promise.futureResult.flatMapResult { answer in
            ResponseValidator.validate(answer, answering: query).mapError { $0 as Error }
        }
    }

    private func tcp(_ query: DNSMessage, server: SocketAddress, deadline: NIODeadline, on loop: EventLoop) -> EventLoopFuture<DNSMessage> {
        let bytes: [UInt8]
        do {
            bytes = try query.serialized()
        } catch {
            return loop.makeFailedFuture(DNSUpstreamError.unencodableQuery("\(error)"))
        }
        let connectTimeout = max(deadline - .now(), .milliseconds(1))
        return ClientBootstrap(group: loop)
            .connectTimeout(connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(LengthFieldBasedFrameDecoder(lengthFieldBitLength: .twoBytes)),
                        LengthFieldPrepender(lengthFieldBitLength: .twoBytes),
                        DNSQueryMultiplexer(maxInFlight: 1),
                    ])
                }
            }
            .connect(to: server)
            .flatMapErrorThrowing { error in throw DNSUpstreamError.connectFailed("\(server): \(error)") }
            .flatMap { channel in
                let promise = channel.eventLoop.makePromise(of: [UInt8].self)
                channel.writeAndFlush(PendingQuery(bytes: bytes, promise: promise, deadline: deadline), promise: nil)
                promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
                return promise.futureResult
            }
            .flatMapResult { answer in
                ResponseValidator.validate(answer, answering: query).mapError { $0 as Error }
            }
    }
}
