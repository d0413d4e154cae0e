import DNSWire
import Testing
@testable import ServerLite

private func name(_ text: String) -> DNSName { (try? DNSName(text)) ?? .root }

private func snapshot() throws -> ServerStateSnapshot {
    let corp = try CompiledZone(
        name: "internal.corp",
        definition: ZoneDefinition(
            records: [
                "@": ["A 203.0.113.50"],
                "db": ["A 203.0.113.50", "TXT \"primary\""],
                "alias": ["CNAME db"],
                "outside": ["CNAME www.example.com."],
                "loop1": ["CNAME loop2"],
                "loop2": ["CNAME loop1"],
                "a.b.deep": ["A 203.0.113.51"],
                "_pg._tcp": ["SRV 0 5 5432 db"],
                "mail": ["MX 10 db"],
            ],
            serviceCommonName: "svc-db",
            allowedEndpoints: ["laptop"]
        ),
        defaultTTL: 60, serial: 7
    )
    let inner = try CompiledZone(
        name: "secret.internal.corp",
        definition: ZoneDefinition(records: ["@": ["A 203.0.113.99"]], allowedEndpoints: ["admin"]),
        defaultTTL: 60, serial: 7
    )
    return ServerStateSnapshot(zones: [corp, inner], endpoints: [:])
}

private func ask(_ qname: String, _ type: DNSRecordType = .a, as cn: String?) throws -> AuthorityDecision {
    PrivateZoneAuthority.decide(DNSMessage.query(id: 1, name: name(qname), type: type), commonName: cn, snapshot: try snapshot())
}

@Suite struct PrivateZoneAuthorityTests {
    @Test func allowedEndpointGetsAuthoritativeAnswer() throws {
        guard case .answer(let reply) = try ask("DB.internal.corp.", as: "laptop") else {
            Issue.record("expected an answer")
            return
        }
        #expect(reply.header.isAuthoritative)
        #expect(reply.responseCode == .noError)
        #expect(reply.answers.count == 1)
        #expect(reply.answers.first?.name.description == "DB.internal.corp.")
        #expect(reply.answers.first?.data == .a(IPv4Address(203, 0, 113, 50)))
        #expect(reply.answers.first?.ttl == 60)
    }

    @Test func serviceCNIsAllowedToo() throws {
        guard case .answer = try ask("db.internal.corp.", as: "svc-db") else {
            Issue.record("the zone's service CN must resolve its zone")
            return
        }
    }

    @Test func notAllowedOrAnonymousIsHidden() throws {
        guard case .hidden(let zone) = try ask("db.internal.corp.", as: "stranger") else {
            Issue.record("expected hidden")
            return
        }
        #expect(zone == name("internal.corp."))
        guard case .hidden = try ask("db.internal.corp.", as: nil) else {
            Issue.record("no identity must be hidden")
            return
        }
        let reply = PrivateZoneAuthority.hiddenReply(to: DNSMessage.query(id: 1, name: name("db.internal.corp."), type: .a))
        #expect(reply.responseCode == .nameError)
        #expect(!reply.header.isAuthoritative)
        #expect(reply.authorities.isEmpty && reply.answers.isEmpty)
    }

    @Test func mostSpecificZoneDecides() throws {
        // laptop may see internal.corp but not its child zone secret.internal.corp.
        guard case .hidden(let zone) = try ask("secret.internal.corp.", as: "laptop") else {
            Issue.record("the child zone's ACL applies")
            return
        }
        #expect(zone == name("secret.internal.corp."))
        guard case .answer = try ask("secret.internal.corp.", as: "admin") else {
            Issue.record("admin may see the child zone")
            return
        }
    }

    @Test func namesOutsideZonesAreNotPrivate() throws {
        guard case .notPrivate = try ask("www.example.com.", as: "laptop") else {
            Issue.record("expected notPrivate")
            return
        }
        guard case .notPrivate = try ask("xinternal.corp.", as: "laptop") else {
            Issue.record("label boundary: xinternal.corp is not inside internal.corp")
            return
        }
    }

    @Test func negativeAnswersCarryTheSOA() throws {
        guard case .answer(let nxdomain) = try ask("nope.internal.corp.", as: "laptop") else {
            Issue.record("expected an answer")
            return
        }
        #expect(nxdomain.responseCode == .nameError)
        #expect(nxdomain.header.isAuthoritative)
        #expect(nxdomain.authorities.first?.type == .soa)
        guard case .soa(let soa) = nxdomain.authorities.first?.data else { return }
        #expect(soa.minimum == CompiledZone.negativeTTL)

        guard case .answer(let nodata) = try ask("db.internal.corp.", .aaaa, as: "laptop") else { return }
        #expect(nodata.responseCode == .noError)
        #expect(nodata.answers.isEmpty)
        #expect(nodata.authorities.first?.type == .soa)

        // Empty non-terminal: b.deep has no records but a.b.deep does.
        guard case .answer(let empty) = try ask("b.deep.internal.corp.", as: "laptop") else { return }
        #expect(empty.responseCode == .noError)
        #expect(empty.answers.isEmpty)
    }

    @Test func cnamesAreFollowedInsideTheZone() throws {
        guard case .answer(let reply) = try ask("alias.internal.corp.", as: "laptop") else { return }
        #expect(reply.answers.map(\.type) == [.cname, .a])
        guard case .answer(let outside) = try ask("outside.internal.corp.", as: "laptop") else { return }
        #expect(outside.answers.map(\.type) == [.cname])
        guard case .answer(let loop) = try ask("loop1.internal.corp.", as: "laptop") else { return }
        #expect(loop.answers.count == 2, "a CNAME loop stops after one round")
    }

    @Test func apexSOAAndOtherTypes() throws {
        guard case .answer(let soa) = try ask("internal.corp.", .soa, as: "laptop") else { return }
        #expect(soa.answers.first?.type == .soa)
        guard case .answer(let srv) = try ask("_pg._tcp.internal.corp.", .srv, as: "laptop") else { return }
        #expect(srv.answers.first?.data == .srv(priority: 0, weight: 5, port: 5432, target: name("db.internal.corp.")))
        guard case .answer(let mx) = try ask("mail.internal.corp.", .mx, as: "laptop") else { return }
        #expect(mx.answers.first?.data == .mx(preference: 10, exchange: name("db.internal.corp.")))
        guard case .answer(let any) = try ask("db.internal.corp.", .any, as: "laptop") else { return }
        #expect(any.answers.count == 2)
    }
}

@Suite struct ZoneRecordParserTests {
    let origin = name("corp.test.")

    @Test func parsesEveryZoneType() throws {
        #expect(try ZoneRecordParser.parse("A 192.0.2.1", origin: self.origin) == .a(IPv4Address(192, 0, 2, 1)))
        #expect(try ZoneRecordParser.parse("AAAA 2001:db8::1", origin: self.origin) == .aaaa(try #require(IPv6Address("2001:db8::1"))))
        #expect(try ZoneRecordParser.parse("cname www", origin: self.origin) == .cname(name("www.corp.test.")))
        #expect(try ZoneRecordParser.parse("CNAME www.example.", origin: self.origin) == .cname(name("www.example.")))
        #expect(try ZoneRecordParser.parse("NS ns1", origin: self.origin) == .ns(name("ns1.corp.test.")))
        #expect(try ZoneRecordParser.parse("PTR host", origin: self.origin) == .ptr(name("host.corp.test.")))
        #expect(try ZoneRecordParser.parse("MX 10 mail", origin: self.origin) == .mx(preference: 10, exchange: name("mail.corp.test.")))
        #expect(try ZoneRecordParser.parse("SRV 1 2 3 @", origin: self.origin) == .srv(priority: 1, weight: 2, port: 3, target: self.origin))
        #expect(try ZoneRecordParser.parse("TXT \"a b\" \"c\\\"d\"", origin: self.origin) == .txt([Array("a b".utf8), Array("c\"d".utf8)]))
        let long = String(repeating: "x", count: 600)
        #expect(try ZoneRecordParser.parse("TXT \(long)", origin: self.origin) == .txt([Array(repeating: 120, count: 255), Array(repeating: 120, count: 255), Array(repeating: 120, count: 90)]))
    }

    @Test func refusesBadRecords() {
        for bad in ["A 999.1.1.1", "A", "AAAA 1.2.3.4", "MX ten mail", "SRV 1 2 mail", "TXT \"open", "TXT \"a\" junk", "BOGUS x", "A192.0.2.1",
                    "CNAME \(String(repeating: "a", count: 64))", "SOA x y 1 2 3 4 5", "TXT \"\(String(repeating: "y", count: 256))\""] {
            #expect(throws: ZoneError.self, "\(bad)") { try ZoneRecordParser.parse(bad, origin: self.origin) }
        }
    }

    @Test func zoneDefinitionAcceptsTheSeedShape() throws {
        let json = """
        {"db.internal.corp": {"records": {"@": "A 203.0.113.50", "replica": ["A 203.0.113.51", "TXT hi"]},
          "service_cn": "s1234abcd5678", "allowed_endpoints": ["c1234abcd", "s1234abcd5678"]}}
        """
        let zones = try JSONDecoder().decode([String: ZoneDefinition].self, from: Data(json.utf8))
        let zone = try #require(zones["db.internal.corp"])
        #expect(zone.records["@"] == ["A 203.0.113.50"])
        #expect(zone.records["replica"]?.count == 2)
        #expect(zone.serviceCommonName == "s1234abcd5678")
        #expect(zone.allowedEndpoints == ["c1234abcd", "s1234abcd5678"])
        let compiled = try CompiledZone(name: "db.internal.corp", definition: zone, defaultTTL: 60, serial: 1)
        #expect(compiled.records.count == 2)
    }

    @Test func cnameBesideOtherDataIsRefused() {
        #expect(throws: ZoneError.self) {
            try CompiledZone(name: "corp.test", definition: ZoneDefinition(records: ["x": ["CNAME y", "A 192.0.2.1"]]), defaultTTL: 60, serial: 1)
        }
    }
}

import Foundation
