import DNSTransport
import DNSWire
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The server's DNS logic, independent of sockets: private zones by CN, the rest upstream.
public final class ServerQueryResolver: Sendable {
    private let state: NIOLockedValueBox<ServerStateSnapshot>
    private let upstream: (any DNSUpstream)?
    private let upstreamTimeout: TimeAmount
    private let logger: Logger
    private let hiddenNotice: RateLimitedNotice
    public let statistics: ServerStatistics

    /// - Parameter upstream: where public names go; nil answers them REFUSED.
    public init(snapshot: ServerStateSnapshot, upstream: (any DNSUpstream)?, upstreamTimeout: TimeAmount, statistics: ServerStatistics = ServerStatistics(), logger: Logger) {
        self.state = NIOLockedValueBox(snapshot)
        self.upstream = upstream
        self.upstreamTimeout = upstreamTimeout
        self.statistics = statistics
        self.logger = logger
        self.hiddenNotice = RateLimitedNotice("refused private name", perSecond: 20, logger: logger)
    }

    /// The zones and endpoints in force.
    public var snapshot: ServerStateSnapshot { self.state.withLockedValue { $0 } }

    /// Puts a new snapshot in force for every query that starts after this call.
    public func replace(_ snapshot: ServerStateSnapshot) {
        self.state.withLockedValue { $0 = snapshot }
    }

    /// Answers one query from `commonName` (nil for plain, unauthenticated listeners).
    public func resolve(_ bytes: [UInt8], commonName: String?, transport: DNSTransportKind, on loop: EventLoop) -> ServerReply {
        self.statistics.queries.wrappingAdd(1, ordering: .relaxed)
        let incoming = IncomingQuery.classify(bytes)
        if incoming.isFormatError { self.statistics.formatErrors.wrappingAdd(1, ordering: .relaxed) }
        let query: DNSMessage
        switch incoming {
        case .dropped:
            self.statistics.droppedMalformed.wrappingAdd(1, ordering: .relaxed)
            return .now(nil)
        case .unparsable(let formatError):
            return .now(formatError)
        case .refused(let refusedQuery, let reply):
            return .now(self.encode(reply, for: refusedQuery, transport: transport))
        case .query(let accepted):
            query = accepted
        }
        guard let question = query.questions.first else { return .now(nil) }

        var decision = PrivateZoneAuthority.decide(query, commonName: commonName, snapshot: self.snapshot)
        if case .hidden(let zone, let then) = decision {
            // Counted and logged (at most 20 lines a second, after the reply is on its way),
            // then answered exactly as if the zones the endpoint may not see did not exist.
            self.statistics.hiddenRefusals.wrappingAdd(1, ordering: .relaxed)
            let notice = self.hiddenNotice
            loop.execute {
                notice.log(["cn": "\(commonName ?? "-")", "name": "\(question.name)", "type": "\(question.type)", "zone": "\(zone)"])
            }
            decision = then
        }
        switch decision {
        case .answer(let answer):
            self.statistics.privateAnswers.wrappingAdd(1, ordering: .relaxed)
            return .now(self.encode(ResponseBuilder.reply(to: query, with: answer), for: query, transport: transport))
        case .hidden, .notPrivate:
            // `.hidden` cannot follow `.hidden` (decide returns one level); it takes the public path.
            return self.resolvePublicly(query, question: question, transport: transport, on: loop)
        }
    }

    /// A name in no zone the endpoint may see: REFUSED without an upstream, else forwarded.
    private func resolvePublicly(_ query: DNSMessage, question: DNSQuestion, transport: DNSTransportKind, on loop: EventLoop) -> ServerReply {
        guard let upstream = self.upstream else {
            return .now(self.encode(ResponseBuilder.error(.refused, to: query), for: query, transport: transport))
        }
        self.statistics.forwarded.wrappingAdd(1, ordering: .relaxed)
        var forwarded = DNSMessage.query(id: 0, name: question.name, type: question.type, recursionDesired: true, ednsPayloadSize: 1232)
        forwarded.questions = query.questions
        forwarded.header.checkingDisabled = query.header.checkingDisabled
        forwarded.edns?.dnssecOK = query.edns?.dnssecOK ?? false
        let future = upstream.query(forwarded, timeout: self.upstreamTimeout)
            .hop(to: loop)
            .map { answer -> [UInt8]? in
                self.encode(ResponseBuilder.reply(to: query, with: answer), for: query, transport: transport)
            }
            .recover { error -> [UInt8]? in
                self.statistics.upstreamFailures.wrappingAdd(1, ordering: .relaxed)
                self.logger.warning("upstream failed", metadata: ["name": "\(question.name)", "error": "\(error)"])
                return self.encode(ResponseBuilder.error(.serverFailure, to: query), for: query, transport: transport)
            }
        return .later(future)
    }

    private func encode(_ reply: DNSMessage, for query: DNSMessage, transport: DNSTransportKind) -> [UInt8]? {
        let limit = ResponseBuilder.sizeLimit(for: query, transport: transport, maximumUDPPayload: 4096)
        // RFC 8467: answer a padded query with a padded response (468-byte blocks).
        if transport == .tcp, let options = query.edns?.options, options.contains(where: { $0.code == EDNSOption.paddingCode }),
           let padded = try? reply.serialized(paddingToMultipleOf: 468), padded.count <= limit {
            return padded
        }
        return try? reply.serialized(fittingIn: limit)
    }
}
