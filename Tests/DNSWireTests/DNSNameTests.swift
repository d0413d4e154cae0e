import Testing

@testable import DNSWire

@Suite("DNSName")
struct DNSNameTests {
    @Test func parsesAbsoluteAndRelativeText() throws {
        let a = try DNSName("www.Example.com")
        let b = try DNSName("www.Example.com.")
        #expect(a == b)
        #expect(a.description == "www.Example.com.")
        #expect(a.labelCount == 3)
        #expect(a.wireLength == 17)
        #expect(a.labels == [Array("www".utf8), Array("Example".utf8), Array("com".utf8)])
        #expect(try DNSName(".") == .root)
        #expect(DNSName.root.description == ".")
        #expect(DNSName.root.labelCount == 0)
        #expect(DNSName.root.wireLength == 1)
        #expect(DNSName.root.labels.isEmpty)
        #expect(try DNSName(labels: []) == .root)
    }

    @Test func rejectsBadText() throws {
        for text in ["", "..", "a..b", ".a", "a\\", "a\\25", "a\\256", "a\\2x5"] {
            #expect(throws: DNSWireError.self, "\(text)") { try DNSName(text) }
        }
        #expect(throws: DNSWireError.labelTooLong) { try DNSName(String(repeating: "x", count: 64)) }
        #expect(throws: Never.self) { try DNSName(String(repeating: "x", count: 63)) }
        let long = Array(repeating: String(repeating: "x", count: 63), count: 4).joined(separator: ".")
        #expect(throws: DNSWireError.nameTooLong) { try DNSName(long) }
        let max = Array(repeating: String(repeating: "x", count: 63), count: 3).joined(separator: ".") + "." + String(repeating: "y", count: 61)
        #expect(try DNSName(max).wireLength == 255)
        #expect(throws: DNSWireError.invalidText("empty label")) { try DNSName(labels: [[]]) }
    }

    @Test func caseInsensitiveEqualityAndHashPreserveCase() throws {
        let upper = try DNSName("WWW.EXAMPLE.COM")
        let lower = try DNSName("www.example.com")
        #expect(upper == lower)
        #expect(upper.hashValue == lower.hashValue)
        #expect(Set([upper, lower]).count == 1)
        #expect(upper.description == "WWW.EXAMPLE.COM.")
        #expect(upper.lowercased().description == "www.example.com.")
        #expect(try DNSName("www.example.co") != lower)
        #expect(try DNSName("www.example.com.au") != lower)
        // Only ASCII letters fold: 0xC4 and 0xE4 stay different.
        #expect(try DNSName(labels: [[0xC4]]) != DNSName(labels: [[0xE4]]))
        // '@' (0x40) and '`' (0x60) are not letters either.
        #expect(try DNSName("@") != DNSName("`"))
        #expect(try DNSName("[") != DNSName("{"))
    }

    @Test func escapesRoundTrip() throws {
        let dotted = try DNSName("a\\.b.example")
        #expect(dotted.labelCount == 2)
        #expect(dotted.labels.first == Array("a.b".utf8))
        #expect(dotted.description == "a\\.b.example.")
        #expect(try DNSName(dotted.description) == dotted)

        let backslash = try DNSName(labels: [Array("a\\b".utf8), Array("c".utf8)])
        #expect(backslash.description == "a\\\\b.c.")
        #expect(try DNSName(backslash.description) == backslash)

        let binary = try DNSName(labels: [[0, 32, 127, 255, 0x41], Array("x".utf8)])
        #expect(binary.description == "\\000\\032\\127\\255A.x.")
        #expect(try DNSName(binary.description) == binary)
        #expect(try DNSName(binary.description).labels == binary.labels)

        #expect(try DNSName("\\065bc").description == "Abc.")
        #expect(try DNSName("\\$x").labels == [Array("$x".utf8)])
        #expect(try DNSName("\\046").labels == [[0x2E]])
    }

    @Test func subdomains() throws {
        let example = try DNSName("example.com")
        #expect(try DNSName("www.example.com").isSubdomain(of: example))
        #expect(try DNSName("a.b.WWW.EXAMPLE.com.").isSubdomain(of: example))
        #expect(example.isSubdomain(of: example))
        #expect(try DNSName("EXAMPLE.COM").isSubdomain(of: example))
        #expect(example.isSubdomain(of: .root))
        #expect(DNSName.root.isSubdomain(of: .root))
        #expect(!DNSName.root.isSubdomain(of: example))
        #expect(try !DNSName("fooexample.com").isSubdomain(of: example))
        #expect(try !DNSName("com").isSubdomain(of: example))
        #expect(try !DNSName("example.org").isSubdomain(of: example))
        #expect(try !DNSName("www.example.com.evil").isSubdomain(of: example))
        // A label containing an escaped dot is not a label boundary.
        #expect(try !DNSName("foo\\.example.com").isSubdomain(of: DNSName("example.com")))
        #expect(try !DNSName("x.foo\\.example.com").isSubdomain(of: DNSName("example.com")))
        #expect(try !DNSName("a.foo\\.example.com").isSubdomain(of: DNSName("foo.example.com")))
    }

    @Test func dropFirstLabel() throws {
        let name = try DNSName("www.Example.com")
        #expect(name.dropFirstLabel()?.description == "Example.com.")
        #expect(name.dropFirstLabel()?.dropFirstLabel()?.dropFirstLabel() == .root)
        #expect(DNSName.root.dropFirstLabel() == nil)
    }

    @Test func canonicalOrder() throws {
        // RFC 4034 section 6.1 example, in canonical order.
        let ordered = try [
            "example", "a.example", "yljkjljk.a.example", "Z.a.example", "zABC.a.EXAMPLE", "z.example",
            "\\001.z.example", "*.z.example", "\\200.z.example",
        ].map { try DNSName($0) }
        #expect(ordered.shuffled().sorted() == ordered)
        for (i, a) in ordered.enumerated() {
            for (j, b) in ordered.enumerated() {
                #expect((a < b) == (i < j))
            }
        }
        #expect(!(try DNSName("A.example") < DNSName("a.EXAMPLE")))
        #expect(DNSName.root < (try DNSName("com")))
    }
}
