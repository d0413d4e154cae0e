import DNSWire

/// A zone ready to answer from: owner names resolved, records parsed, a SOA made.
public struct CompiledZone: Sendable {
    public let origin: DNSName
    public let records: [DNSName: [DNSResourceRecord]]
    public let allowedEndpoints: Set<String>
    public let serviceCommonName: String?
    public let soa: DNSResourceRecord

    /// Negative answers are cached this long (the SOA MINIMUM, RFC 2308).
    public static let negativeTTL: UInt32 = 30

    public init(name: String, definition: ZoneDefinition, defaultTTL: UInt32, serial: UInt32) throws {
        let origin: DNSName
        do {
            origin = try DNSName(name)
        } catch {
            throw ZoneError.badZoneName(name, "\(error)")
        }
        guard origin != .root else { throw ZoneError.badZoneName(name, "the root cannot be a private zone") }
        let ttl = definition.ttl ?? defaultTTL
        var records: [DNSName: [DNSResourceRecord]] = [:]
        for (owner, texts) in definition.records {
            let ownerName = try ZoneRecordParser.name(owner, origin: origin)
            guard ownerName.isSubdomain(of: origin) else {
                throw ZoneError.badRecord(owner, "owner is outside the zone \(origin)")
            }
            for text in texts {
                let data = try ZoneRecordParser.parse(text, origin: origin)
                records[ownerName, default: []].append(DNSResourceRecord(name: ownerName, ttl: ttl, data: data))
            }
        }
        for (owner, set) in records where set.contains(where: { $0.type == .cname }) && set.count > 1 {
            throw ZoneError.badRecord(owner.description, "a CNAME cannot stand beside other records")
        }
        try Self.checkFitsInAMessage(records)
        self.origin = origin
        self.records = records
        self.allowedEndpoints = Set(definition.allowedEndpoints)
        self.serviceCommonName = definition.serviceCommonName
        let soaData = DNSStartOfAuthority(
            primaryServer: (try? DNSName(labels: [Array("ns".utf8)] + origin.labels)) ?? origin,
            responsibleMailbox: (try? DNSName(labels: [Array("hostmaster".utf8)] + origin.labels)) ?? origin,
            serial: serial, refresh: 3600, retry: 600, expire: 86_400, minimum: Self.negativeTTL
        )
        self.soa = DNSResourceRecord(name: origin, ttl: Self.negativeTTL, data: .soa(soaData))
    }

    /// Refuses a record set that no DNS message can carry (a TXT of 70 KB, say): answered, it
    /// would come out as an empty NOERROR, telling clients the record does not exist.
    static func checkFitsInAMessage(_ records: [DNSName: [DNSResourceRecord]]) throws {
        for (owner, set) in records {
            for type in Set(set.map(\.type)) {
                let answers = set.filter { $0.type == type }
                var message = DNSMessage.query(id: 0, name: owner, type: type)
                message.edns = nil
                message.header.isResponse = true
                message.answers = answers
                let size = (try? message.serialized().count) ?? Int.max
                if size > 65_535 { throw ZoneError.tooLarge(owner: owner.description, bytes: size == Int.max ? 65_536 : size) }
            }
        }
    }

    /// Whether the endpoint `commonName` (or the zone's own service) may resolve names here.
    public func allows(_ commonName: String) -> Bool {
        self.allowedEndpoints.contains(commonName) || self.serviceCommonName == commonName
    }

    /// Whether any record lives at or below `name` (so it exists, possibly as an empty non-terminal).
    public func nameExists(_ name: DNSName) -> Bool {
        if name == self.origin || self.records[name] != nil { return true }
        return self.records.keys.contains { $0.isSubdomain(of: name) }
    }
}
