import DNSTransport
import DNSWire
import NIOCore

/// The agent's answer to "every DoT server is down": private names fail (SERVFAIL from the
/// stub), and public names fail too (closed) or go to the host's original resolvers (open), as
/// the signed config says. A name under a private suffix never reaches the fallback, whatever
/// the policy: the original resolvers must not learn private names.
public final class PublicFailoverUpstream: DNSUpstream, Sendable {
    private let primary: any DNSUpstream
    private let fallback: (any DNSUpstream)?
    private let privateSuffixes: [DNSName]

    /// - Parameter fallback: the original resolvers; nil fails closed.
    public init(primary: any DNSUpstream, fallback: (any DNSUpstream)?, privateSuffixes: [String]) {
        self.primary = primary
        self.fallback = fallback
        self.privateSuffixes = privateSuffixes.compactMap { try? DNSName($0) }
    }

    public func isPrivate(_ name: DNSName) -> Bool {
        self.privateSuffixes.contains { name.isSubdomain(of: $0) }
    }

    public func query(_ message: DNSMessage, timeout: TimeAmount) -> EventLoopFuture<DNSMessage> {
        let started = NIODeadline.now()
        let deadline = started + timeout
        // The DoT servers get most of the time; the fallback, when allowed, what is left (at least 500 ms).
        let primaryBudget = self.fallback == nil ? timeout : max(timeout - .milliseconds(500), .milliseconds(100))
        let future = self.primary.query(message, timeout: primaryBudget)
        guard let fallback = self.fallback, let name = message.questions.first?.name, !self.isPrivate(name) else {
            return future
        }
        return future.flatMapError { error in
            guard let upstream = error as? DNSUpstreamError, Self.meansNoServer(upstream) else {
                return future.eventLoop.makeFailedFuture(error)
            }
            let remaining = max(deadline - .now(), .milliseconds(500))
            return fallback.query(message, timeout: remaining)
        }
    }

    /// Errors that say the DoT servers are unreachable (not that they answered badly).
    static func meansNoServer(_ error: DNSUpstreamError) -> Bool {
        switch error {
        case .noServerAvailable, .connectFailed, .connectionClosed, .timeout, .tooManyInFlight: return true
        case .malformedResponse, .unencodableQuery: return false
        }
    }
}
