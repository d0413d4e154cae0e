/// Why a query sent upstream did not produce an answer.
public enum DNSUpstreamError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No answer arrived before the query's deadline.
    case timeout
    /// The connection closed (or failed) before the answer arrived.
    case connectionClosed
    /// Every configured server is in backoff after recent failures.
    case noServerAvailable
    /// The connection already carries as many queries as it may.
    case tooManyInFlight
    /// The answer could not be parsed, or does not answer the question asked.
    case malformedResponse(String)
    /// The TLS handshake or the TCP connect failed.
    case connectFailed(String)
    /// The query itself could not be encoded.
    case unencodableQuery(String)

    public var description: String {
        switch self {
        case .timeout: return "upstream query timed out"
        case .connectionClosed: return "upstream connection closed before the answer"
        case .noServerAvailable: return "no upstream server available"
        case .tooManyInFlight: return "too many queries in flight on the upstream connection"
        case .malformedResponse(let why): return "malformed upstream response: \(why)"
        case .connectFailed(let why): return "upstream connect failed: \(why)"
        case .unencodableQuery(let why): return "query could not be encoded: \(why)"
        }
    }

    /// Whether another server (or a fresh connection) might succeed where this attempt failed.
    public var isRetryable: Bool {
        switch self {
        case .connectionClosed, .connectFailed, .noServerAvailable, .tooManyInFlight: return true
        case .timeout, .malformedResponse, .unencodableQuery: return false
        }
    }
}
