import DNSTransport
import NIOCore

extension ServerQueryResolver {
    /// The answer for `commonName` to one query read from its DoT connection, for
    /// ``DNSStreamServingHandler``.
    func streamReply(_ bytes: [UInt8], commonName: String, on loop: EventLoop) -> DNSStreamReply {
        switch self.resolve(bytes, commonName: commonName, transport: .tcp, on: loop) {
        case .now(let reply): return .now(reply)
        case .later(let future): return .later(future)
        }
    }
}
