import DNSWire

/// Answers questions about private zones by the asking endpoint's CN. Pure: no I/O.
///
/// - Allowed endpoint: authoritative answers (AA), CNAMEs followed inside the zone, NODATA and
///   NXDOMAIN with the zone's SOA in the authority section (RFC 2308).
/// - Endpoint not allowed (or no identity): ``AuthorityDecision/hidden(zone:)``; the caller answers
///   NXDOMAIN without a SOA, which does not name the zone.
public enum PrivateZoneAuthority {
    public static func decide(_ query: DNSMessage, commonName: String?, snapshot: ServerStateSnapshot) -> AuthorityDecision {
        guard let question = query.questions.first, let zone = snapshot.zone(containing: question.name) else {
            return .notPrivate
        }
        guard let commonName, zone.allows(commonName) else {
            return .hidden(zone: zone.origin)
        }
        return .answer(self.answer(query, question: question, zone: zone))
    }

    /// The reply for a hidden zone: NXDOMAIN, not authoritative, no SOA.
    public static func hiddenReply(to query: DNSMessage) -> DNSMessage {
        var reply = DNSMessage.response(to: query, responseCode: .nameError)
        reply.header.recursionAvailable = true
        return reply
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
