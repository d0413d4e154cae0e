/// How a query reached the stub, which decides how large the answer may be.
public enum DNSTransportKind: Sendable, Hashable {
    /// UDP: the answer must fit the client's EDNS payload size (512 without EDNS).
    case udp
    /// TCP: the whole answer, up to 65,535 bytes.
    case tcp
}
