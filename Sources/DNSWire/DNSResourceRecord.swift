/// A resource record (other than OPT, which is represented by `EDNSRecord`).
public struct DNSResourceRecord: Hashable, Sendable {
    /// The owner name.
    public var name: DNSName
    /// The record class.
    public var recordClass: DNSClass
    /// Time to live in seconds.
    public var ttl: UInt32
    /// The typed RDATA; it also determines the record type.
    public var data: DNSRecordData

    /// The record type (`data.type`).
    public var type: DNSRecordType { data.type }

    /// Creates a record.
    public init(name: DNSName, recordClass: DNSClass = .internet, ttl: UInt32, data: DNSRecordData) {
        self.name = name
        self.recordClass = recordClass
        self.ttl = ttl
        self.data = data
    }
}
