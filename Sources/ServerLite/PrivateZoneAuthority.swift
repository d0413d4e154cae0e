import DNSWire

/// Answers questions about private zones by the asking endpoint's CN. Pure: no I/O.
///
/// - Allowed endpoint: authoritative answers (AA), CNAMEs followed inside the zone, NODATA and
///   NXDOMAIN with the zone's SOA in the authority section (RFC 2308).
/// - A zone the endpoint may not see (or any zone, without identity) is treated as absent: the
///   question goes to the next most specific zone the endpoint may see (a parent zone answers
///   from its own records, NXDOMAIN with its own SOA), else down the path of a name outside
///   every zone. So a hidden zone's answer is byte for byte what the endpoint would get if the
///   zone did not exist (``AuthorityDecision/hidden(zone:then:)`` says so for the log).
public enum PrivateZoneAuthority {
    public static func decide(_ query: DNSMessage, commonName: String?, snapshot: ServerStateSnapshot) -> AuthorityDecision {
        guard let question = query.questions.first else { return .notPrivate }
        var hiddenZone: DNSName?
        // Zones are most specific first: the first one holding the name that the CN may see
        // answers, as it would if the ones before it did not exist.
        for zone in snapshot.zones where question.name.isSubdomain(of: zone.origin) {
            guard let commonName, zone.allows(commonName) else {
                if hiddenZone == nil { hiddenZone = zone.origin }
                continue
            }
            let answer = AuthorityDecision.answer(self.answer(query, question: question, zone: zone))
            return hiddenZone.map { .hidden(zone: $0, then: answer) } ?? answer
        }
        return hiddenZone.map { .hidden(zone: $0, then: .notPrivate) } ?? .notPrivate
    }

    static func answer(_ query: DNSMessage, question: DNSQuestion, zone: CompiledZone) -> DNSMessage {
        var reply = DNSMessage.response(to: query, responseCode: .noError)
        reply.header.isAuthoritative = true
        reply.header.recursionAvailable = true

        var name = question.name
        var seen: Set<DNSName> = []
        // Follow CNAMEs while they stay inside the zone (at most 8 hops, no loops).
        for _ in 0..<8 {
            seen.insert(name)
            if question.type == .soa && name == zone.origin {
                reply.answers.append(zone.soa)
                return reply
            }
            let records = zone.records[name] ?? []
            let matching = records.filter { question.type == .any || $0.type == question.type }
            if !matching.isEmpty {
                reply.answers.append(contentsOf: matching.map { renamed($0, to: name) })
                return reply
            }
            if let cname = records.first(where: { $0.type == .cname }), case .cname(let target) = cname.data {
                reply.answers.append(renamed(cname, to: name))
                guard target.isSubdomain(of: zone.origin), !seen.contains(target) else { return reply }
                name = target
                continue
            }
            if !reply.answers.isEmpty || zone.nameExists(name) {
                reply.authorities = [zone.soa]  // NODATA
            } else {
                reply.responseCode = .nameError
                reply.authorities = [zone.soa]
            }
            return reply
        }
        return reply
    }

    /// The record with its owner spelled as the asker spelled it.
    private static func renamed(_ record: DNSResourceRecord, to name: DNSName) -> DNSResourceRecord {
        var record = record
        record.name = name
        return record
    }
}
