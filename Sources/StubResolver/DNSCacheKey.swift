import DNSWire

/// What a cached answer answers: name (case-insensitive), type, class and whether DNSSEC records
/// were asked for (an answer without them must not satisfy a DO query).
public struct DNSCacheKey: Hashable, Sendable {
    public var name: DNSName
    public var type: DNSRecordType
    public var recordClass: DNSClass
    public var dnssecOK: Bool

    public init(name: DNSName, type: DNSRecordType, recordClass: DNSClass, dnssecOK: Bool) {
        self.name = name
        self.type = type
        self.recordClass = recordClass
        self.dnssecOK = dnssecOK
    }

    /// The key for a query's first question.
    public init?(query: DNSMessage) {
        guard let question = query.questions.first else { return nil }
        self.init(name: question.name, type: question.type, recordClass: question.questionClass, dnssecOK: query.edns?.dnssecOK ?? false)
    }
}
