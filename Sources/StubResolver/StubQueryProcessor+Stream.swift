import DNSTransport
import NIOCore

extension StubQueryProcessor {
    /// The stub's answer to one query read from a TCP connection, for ``DNSStreamServingHandler``.
    func streamReply(_ bytes: [UInt8], on loop: EventLoop) -> DNSStreamReply {
        switch self.process(bytes, transport: .tcp, on: loop) {
        case .now(let reply): return .now(reply)
        case .later(let future): return .later(future)
        }
    }
}
