import DNSTransport
import DNSWire
import NIOConcurrencyHelpers
import NIOCore

/// Answers the names of private services the signed config lists with this host's own loopback
/// addresses, once the server has authorized them.
///
/// For A or AAAA about such a name, the server is asked for A over DoT: its answer is the
/// authorization (an endpoint not allowed gets NXDOMAIN, which is passed on unchanged). When
/// allowed, A gets the name's stable address from the ``InterceptAddressBook`` and AAAA gets
/// NODATA (the intercept listens on IPv4 loopback only). Every other question goes upstream
/// as it is.
public final class InterceptingUpstream: DNSUpstream, Sendable {
    private let upstream: any DNSUpstream
    private let book: InterceptAddressBook
    private let names: NIOLockedValueBox<Set<DNSName>>
    /// Answers are kept at most this long, so a revoked grant is noticed soon.
    public static let maximumTTL: UInt32 = 60

    public init(upstream: any DNSUpstream, book: InterceptAddressBook, names: Set<DNSName>) {
        self.upstream = upstream
        self.book = book
        self.names = NIOLockedValueBox(names)
    }

    /// Whether `name` is intercepted.
    public func intercepts(_ name: DNSName) -> Bool {
        self.names.withLockedValue { $0.contains(name) }
    }

    public func query(_ message: DNSMessage, timeout: TimeAmount) -> EventLoopFuture<DNSMessage> {
        guard let question = message.questions.first, question.type == .a || question.type == .aaaa, self.intercepts(question.name) else {
            return self.upstream.query(message, timeout: timeout)
        }
        var check = message
        check.questions[0].type = .a
        let book = self.book
        return self.upstream.query(check, timeout: timeout).flatMapThrowing { answer -> DNSMessage in
            var reply = answer
            reply.questions = message.questions
            guard answer.responseCode == .noError, !answer.answers.isEmpty else {
                // Not authorized (or not there): no address of ours.
                reply.answers = []
                return reply
            }
            let ttl = min(answer.answers.map(\.ttl).min() ?? Self.maximumTTL, Self.maximumTTL)
            reply.authorities = []
            reply.additionals = []
            if question.type == .a {
                let address = try book.address(for: question.name.description)
                reply.answers = [DNSResourceRecord(name: question.name, ttl: ttl, data: .a(address))]
            } else {
                reply.answers = []
                // A SOA lets the stub cache the NODATA (RFC 2308) for as long as the grant's TTL.
                let soa = DNSStartOfAuthority(primaryServer: question.name, responsibleMailbox: question.name, serial: 1,
                                              refresh: ttl, retry: ttl, expire: ttl, minimum: ttl)
                reply.authorities = [DNSResourceRecord(name: question.name, ttl: ttl, data: .soa(soa))]
            }
            return reply
        }
    }
}
