/// What reading the start of a TLS connection gave.
///
/// Reading is prefix-stable: while the bytes seen so far are a strict prefix of the records that hold
/// a valid ClientHello the answer is ``needMoreData``; once the answer is ``complete(_:)`` or
/// ``invalid(_:)``, feeding more bytes of the same stream gives the same answer again.
public enum ClientHelloReadResult: Sendable, Equatable {
    /// Not enough bytes yet: feed more (TCP may split the hello anywhere).
    case needMoreData
    /// A complete ClientHello.
    case complete(ClientHelloInfo)
    /// Not a (usable) ClientHello: close the connection.
    case invalid(ClientHelloError)
}
