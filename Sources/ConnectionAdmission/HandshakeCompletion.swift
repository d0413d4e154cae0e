import NIOCore
import NIOTLS

/// What ends a connection's unauthenticated phase for ``HandshakeDeadlineHandler``.
public enum HandshakeCompletion {
    /// An inbound user event passing the handler, for which the closure says yes (the TLS
    /// handshake's completion, a ClientHello read).
    case userEvent((Any) -> Bool)
    /// The first read passing the handler (placed after an HTTP decoder: complete request headers).
    case firstRead

    /// The TLS handshake completed (the handler sits after the TLS handler).
    public static var tlsHandshake: HandshakeCompletion {
        .userEvent { event in
            if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls { return true }
            return false
        }
    }
}
