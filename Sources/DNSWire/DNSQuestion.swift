/// An entry of the question section.
public struct DNSQuestion: Hashable, Sendable {
    /// QNAME.
    public var name: DNSName
    /// QTYPE.
    public var type: DNSRecordType
    /// QCLASS.
    public var questionClass: DNSClass

    /// Creates a question.
    public init(name: DNSName, type: DNSRecordType, questionClass: DNSClass = .internet) {
        self.name = name
        self.type = type
        self.questionClass = questionClass
    }
}
