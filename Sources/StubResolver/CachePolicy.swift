import DNSWire

/// Which answers are cached and for how long (RFC 2181, RFC 2308, RFC 8767).
public struct CachePolicy: Sendable {
    /// Answers are kept at most this long, whatever their TTL says.
    public var maximumTTL: UInt32
    /// Negative answers (NXDOMAIN, NODATA) are kept at most this long.
    public var maximumNegativeTTL: UInt32
    /// How long after expiry an answer may still be served when every upstream fails (RFC 8767: 1-3 days).
    public var staleWindow: UInt32
    /// The TTL given to stale answers (RFC 8767 recommends 30 s).
    public var staleAnswerTTL: UInt32

    public init(maximumTTL: UInt32 = 86_400, maximumNegativeTTL: UInt32 = 3_600, staleWindow: UInt32 = 86_400, staleAnswerTTL: UInt32 = 30) {
        self.maximumTTL = maximumTTL
        self.maximumNegativeTTL = maximumNegativeTTL
        self.staleWindow = staleWindow
        self.staleAnswerTTL = staleAnswerTTL
    }

    /// How long `response` may be cached, or nil when it must not be.
    ///
    /// Positive answers live for the smallest TTL in the answer section. Negative answers
    /// (NXDOMAIN, or NOERROR without answers) live for min(SOA TTL, SOA MINIMUM) from the
    /// authority section, and are not cached without a SOA (RFC 2308 section 5). Truncated answers,
    /// server failures and refusals are not cached.
    public func ttl(for response: DNSMessage) -> UInt32? {
        guard !response.header.isTruncated else { return nil }
        switch response.responseCode {
        case .noError where !response.answers.isEmpty:
            let smallest = response.answers.lazy.map(\.ttl).min() ?? 0
            return min(smallest, self.maximumTTL)
        case .noError, .nameError:
            for record in response.authorities {
                if case .soa(let soa) = record.data {
                    return min(record.ttl, soa.minimum, self.maximumNegativeTTL)
                }
            }
            return nil
        default:
            return nil
        }
    }
}
