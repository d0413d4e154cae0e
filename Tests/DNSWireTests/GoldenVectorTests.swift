import Foundation
import Testing

@testable import DNSWire

/// Packets captured from dig, kdig and knotd (see `Golden/capture.py` and `Golden/manifest.tsv`).
@Suite("Golden packets from real peers")
struct GoldenVectorTests {
    private func pair(_ name: String) throws -> (query: DNSMessage, response: DNSMessage, queryBytes: [UInt8]) {
        let queryBytes = try GoldenPackets.load(name + ".query")
        let responseBytes = try GoldenPackets.load(name + ".response")
        let query = try DNSMessage(parsing: queryBytes)
        let response = try DNSMessage(parsing: responseBytes)
        // The ID is random per capture: compare with the raw bytes and between the two halves.
        #expect(query.header.id == UInt16(queryBytes[0]) << 8 | UInt16(queryBytes[1]))
        #expect(response.header.id == query.header.id)
        #expect(!query.header.isResponse)
        #expect(response.header.isResponse)
        #expect(response.questions == query.questions)
        return (query, response, queryBytes)
    }

    private func name(_ text: String) throws -> DNSName { try DNSName(text) }

    @Test("every golden packet round-trips stably and byte-identically", arguments: try GoldenPackets.allNames())
    func roundTrip(file: String) throws {
        let bytes = try GoldenPackets.load(file)
        let message = try DNSMessage(parsing: bytes)
        let compressed = try message.serialized()
        #expect(try DNSMessage(parsing: compressed) == message)
        // knotd and dig compress exactly as DNSWire does (first occurrence, longest suffix,
        // SRV targets written in full but usable as targets), so the bytes match too.
        #expect(compressed == bytes)
        let uncompressed = try message.serialized(compress: false)
        #expect(try DNSMessage(parsing: uncompressed) == message)
        #expect(uncompressed.count >= compressed.count)
        // Header counts as parsed match the sections (+1 for OPT).
        #expect(Int(message.header.questionCount) == message.questions.count)
        #expect(Int(message.header.answerCount) == message.answers.count)
        #expect(Int(message.header.authorityCount) == message.authorities.count)
        #expect(Int(message.header.additionalCount) == message.additionals.count + (message.edns == nil ? 0 : 1))
    }

    @Test func digDefaultQueryWithCookie() throws {
        let (query, response, queryBytes) = try pair("dig-a")
        #expect(queryBytes.count == 57)
        #expect(query.header.recursionDesired)
        #expect(query.header.authenticData)  // dig sets AD by default
        #expect(query.header.opcode == .query)
        #expect(query.questions == [DNSQuestion(name: try name("www.example.test"), type: .a)])
        let edns = try #require(query.edns)
        #expect(edns.udpPayloadSize == 1232)
        #expect(!edns.dnssecOK)
        #expect(edns.version == 0)
        #expect(edns.options.count == 1)
        #expect(edns.options.first?.code == EDNSOption.cookieCode)
        #expect(edns.options.first?.data.count == 8)  // client cookie only
        // knotd's mod-cookies answers a client-cookie-only query with BADCOOKIE (extended RCODE 23)
        // and the full client+server cookie.
        #expect(response.responseCode == .badCookie)
        #expect(response.header.responseCodeLow == 7)
        #expect(response.edns?.extendedResponseCodeHigh == 1)
        #expect(response.edns?.option(code: EDNSOption.cookieCode)?.data.count == 24)
        #expect(response.answers.isEmpty)
    }

    @Test func digWithoutEDNS() throws {
        let (query, response, queryBytes) = try pair("dig-noedns-aaaa")
        #expect(queryBytes.count == 34)
        #expect(query.edns == nil)
        #expect(query.additionals.isEmpty)
        #expect(response.edns == nil)
        #expect(response.header.isAuthoritative)
        #expect(response.answers == [
            DNSResourceRecord(name: try name("www.example.test"), ttl: 3600, data: .aaaa(try #require(IPv6Address("2001:db8::1"))))
        ])
    }

    @Test func dnssecOKBitAndSOA() throws {
        let (query, response, _) = try pair("dig-dnssec-soa")
        #expect(query.edns?.dnssecOK == true)
        #expect(query.edns?.options.isEmpty == true)
        #expect(response.edns?.dnssecOK == true)
        let soa = DNSStartOfAuthority(
            primaryServer: try name("ns1.example.test"), responsibleMailbox: try name("hostmaster.example.test"),
            serial: 2_024_010_101, refresh: 7200, retry: 3600, expire: 1_209_600, minimum: 300)
        #expect(response.answers == [DNSResourceRecord(name: try name("example.test"), ttl: 3600, data: .soa(soa))])
    }

    @Test func cnameChain() throws {
        let (_, response, _) = try pair("dig-cname-chain")
        #expect(response.answers.map(\.data) == [
            .cname(try name("alias2.example.test")), .cname(try name("www.example.test")), .a(IPv4Address(192, 0, 2, 1)),
        ])
        #expect(response.answers.map(\.name) == [
            try name("alias.example.test"), try name("alias2.example.test"), try name("www.example.test"),
        ])
    }

    @Test func mxWithAdditional() throws {
        let (_, response, _) = try pair("dig-mx")
        #expect(response.answers.map(\.data) == [
            .mx(preference: 10, exchange: try name("mail.example.test")),
            .mx(preference: 20, exchange: try name("mail2.other.test")),
        ])
        #expect(response.additionals == [
            DNSResourceRecord(name: try name("mail.example.test"), ttl: 3600, data: .a(IPv4Address(192, 0, 2, 25)))
        ])
    }

    @Test func txtMultiString() throws {
        let (_, response, _) = try pair("dig-txt")
        #expect(response.answers.map(\.data) == [
            .txt([Array("hello world".utf8), Array("second string".utf8), [], Array("tab\tand\\backslash".utf8)])
        ])
    }

    @Test func srvTargetNotCompressed() throws {
        let (_, response, _) = try pair("dig-srv")
        let responseBytes = try GoldenPackets.load("dig-srv.response")
        #expect(response.answers.map(\.data) == [
            .srv(priority: 10, weight: 60, port: 5060, target: try name("sipserver.example.test"))
        ])
        #expect(response.additionals.first?.data == .a(IPv4Address(192, 0, 2, 60)))
        // Our encoding keeps the SRV target in full (RFC 2782), as knotd does.
        let ours = try response.serialized()
        let target = try name("sipserver.example.test").wireBytes
        #expect(ours.firstRange(of: target) != nil)
        #expect(responseBytes.firstRange(of: target) != nil)
    }

    @Test func nxdomainWithSOAInAuthority() throws {
        let (_, response, _) = try pair("dig-nxdomain")
        #expect(response.responseCode == .nameError)
        #expect(response.answers.isEmpty)
        #expect(response.authorities.count == 1)
        #expect(response.authorities.first?.name == (try name("example.test")))
        #expect(response.authorities.first?.ttl == 300)
        #expect(response.authorities.first?.type == .soa)
    }

    @Test func apexNSWithGlue() throws {
        let (_, response, _) = try pair("dig-ns-glue")
        #expect(response.answers.map(\.data) == [.ns(try name("ns1.example.test")), .ns(try name("ns2.example.test"))])
        #expect(response.additionals.map(\.data) == [
            .a(IPv4Address(192, 0, 2, 53)), .aaaa(try #require(IPv6Address("2001:db8::53"))), .a(IPv4Address(192, 0, 2, 54)),
        ])
    }

    @Test func referral() throws {
        let (query, response, _) = try pair("dig-referral")
        #expect(!query.header.recursionDesired)
        #expect(!response.header.isAuthoritative)
        #expect(response.answers.isEmpty)
        #expect(response.authorities == [
            DNSResourceRecord(name: try name("sub.example.test"), ttl: 3600, data: .ns(try name("ns.sub.example.test")))
        ])
        #expect(response.additionals.map(\.data) == [.a(IPv4Address(192, 0, 2, 99))])
    }

    @Test func ptr() throws {
        let (query, response, _) = try pair("dig-ptr")
        #expect(query.questions.first?.name == (try name("1.2.0.192.in-addr.arpa")))
        #expect(query.questions.first?.type == .ptr)
        #expect(response.answers.map(\.data) == [.ptr(try name("www.example.test"))])
    }

    @Test func largeTXTOverUDPIsTruncatedAndOverTCPComplete() throws {
        let (_, udp, _) = try pair("dig-big-txt-udp")
        #expect(udp.header.isTruncated)
        #expect(udp.answers.isEmpty)
        let (_, tcp, _) = try pair("dig-big-txt-tcp")
        #expect(!tcp.header.isTruncated)
        guard case .txt(let strings) = tcp.answers.first?.data else {
            Issue.record("expected TXT")
            return
        }
        #expect(strings.count == 12)
        #expect(strings.allSatisfy { $0.count == 208 })
        #expect(try tcp.serialized().count > 2048)
    }

    @Test func unknownTypesStayRaw() throws {
        let (_, caa, _) = try pair("dig-caa")
        #expect(caa.answers.first?.type == .caa)
        #expect(caa.answers.first?.data == .unknown(type: .caa, bytes: [0, 5] + Array("issueletsencrypt.org".utf8)))
        let (query, https, _) = try pair("dig-https")
        #expect(query.questions.first?.type == DNSRecordType(rawValue: 65))
        #expect(https.answers.first?.type.description == "HTTPS")
        if case .unknown(let type, let bytes) = https.answers.first?.data {
            #expect(type.rawValue == 65)
            #expect(bytes.prefix(3) == [0, 1, 0])  // priority 1, target root
        } else {
            Issue.record("expected raw HTTPS data")
        }
    }

    @Test func casePreserved() throws {
        let (query, response, _) = try pair("dig-case")
        #expect(query.questions.first?.name.description == "MiXeD.ExAmPlE.TeSt.")
        #expect(response.answers.first?.name.description == "MiXeD.ExAmPlE.TeSt.")
        #expect(response.answers.first?.name == (try name("mixed.example.test")))
    }

    @Test func chaosClass() throws {
        let (query, response, _) = try pair("dig-chaos")
        #expect(query.questions.first?.questionClass == .chaos)
        #expect(response.answers.first?.recordClass == .chaos)
        guard case .txt(let strings) = response.answers.first?.data else {
            Issue.record("expected TXT")
            return
        }
        #expect(String(decoding: strings.joined(), as: UTF8.self).hasPrefix("Knot DNS"))
    }

    @Test func kdigPaddingAlignment() throws {
        let (query, _, queryBytes) = try pair("kdig-alignment")
        #expect(queryBytes.count % 128 == 0)
        let padding = try #require(query.edns?.option(code: EDNSOption.paddingCode))
        #expect(padding.data.allSatisfy { $0 == 0 })
        // Re-padding with DNSWire reproduces kdig's exact bytes.
        #expect(try query.serialized(paddingToMultipleOf: 128) == queryBytes)
    }

    @Test func kdigKeepaliveClientForm() throws {
        let (query, _, _) = try pair("kdig-keepalive")
        let option = try #require(query.edns?.option(code: EDNSOption.tcpKeepaliveCode))
        #expect(option == .tcpKeepalive(timeoutHundredMilliseconds: nil))
        #expect(option.tcpKeepaliveTimeout == nil)
        #expect(query.edns?.udpPayloadSize == 4096)
    }

    @Test func kdigCookieNSIDAndDO() throws {
        let (query, response, _) = try pair("kdig-cookie-nsid")
        #expect(query.edns?.dnssecOK == true)
        #expect(query.edns?.options.map(\.code) == [3, EDNSOption.cookieCode])
        #expect(response.edns?.dnssecOK == true)
        #expect(response.responseCode == .badCookie)
    }

    @Test func kdigNoEDNSNoRD() throws {
        let (query, response, _) = try pair("kdig-noedns")
        #expect(query.edns == nil)
        #expect(!query.header.recursionDesired)
        #expect(response.answers.map(\.data) == [.a(IPv4Address(192, 0, 2, 25))])
    }
}
