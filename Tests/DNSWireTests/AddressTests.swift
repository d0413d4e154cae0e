import Testing

@testable import DNSWire

@Suite("IPv4 and IPv6 addresses")
struct AddressTests {
    @Test func ipv4ParseAndFormat() throws {
        let address = try #require(IPv4Address("192.0.2.1"))
        #expect(address == IPv4Address(192, 0, 2, 1))
        #expect(address.octets == [192, 0, 2, 1])
        #expect(address.description == "192.0.2.1")
        #expect(IPv4Address("0.0.0.0")?.octets == [0, 0, 0, 0])
        #expect(IPv4Address("255.255.255.255")?.rawValue == 0xFFFF_FFFF)
        #expect(IPv4Address(octets: [10, 0, 0, 1]) == IPv4Address(10, 0, 0, 1))
        #expect(IPv4Address(octets: [10, 0, 0]) == nil)
        for bad in ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.04", "01.2.3.4", "1..2.3", "1.2.3.4.", ".1.2.3.4",
                    "a.b.c.d", "1.2.3.-4", " 1.2.3.4", "1.2.3.4 ", "1234.1.1.1", "1.2.3.4/24"] {
            #expect(IPv4Address(bad) == nil, "\(bad)")
        }
    }

    @Test(arguments: [
        ("2001:db8:0:0:0:0:2:1", "2001:db8::2:1"),
        ("2001:0db8:0000:0000:0000:0000:0002:0001", "2001:db8::2:1"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),  // a single zero group is not shortened
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),  // the longest run wins
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),  // the first of equal runs wins
        ("2001:DB8::AbCd", "2001:db8::abcd"),  // lower case
        ("::", "::"),
        ("::1", "::1"),
        ("1::", "1::"),
        ("0:0:0:0:0:0:0:1", "::1"),
        ("fe80::", "fe80::"),
        ("1:0:0:0:0:0:0:0", "1::"),
        ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
        ("1:2:3:4:5:6::", "1:2:3:4:5:6::"),
        ("1::8", "1::8"),
        ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
        ("::ffff:c000:201", "::ffff:192.0.2.1"),  // IPv4-mapped uses dotted quad
        ("::FFFF:C000:0201", "::ffff:192.0.2.1"),
        ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
        ("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"),
        ("::1.2.3.4", "::102:304"),
    ])
    func ipv6Canonical(text: String, canonical: String) throws {
        let address = try #require(IPv6Address(text))
        #expect(address.description == canonical)
        #expect(IPv6Address(canonical) == address)
        #expect(IPv6Address(octets: address.octets) == address)
    }

    @Test func ipv6Invalid() {
        for bad in ["", ":", ":::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "1::2::3", ":1::", "1:", ":1", "1::2:",
                    "12345::", "g::", "1.2.3.4", "::ffff:1.2.3", "::ffff:1.2.3.256", "fe80::1%eth0", "1:2:3:4::5:6:7:8",
                    "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3.4:5", "[::1]", " ::1", "::1 "] {
            #expect(IPv6Address(bad) == nil, "\(bad)")
        }
        #expect(IPv6Address(octets: [UInt8](repeating: 0, count: 15)) == nil)
    }

    @Test func ipv6Octets() throws {
        let address = try #require(IPv6Address("2001:db8::1"))
        #expect(address.octets == [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
        #expect(IPv6Address(octets: Array(1...16))?.description == "102:304:506:708:90a:b0c:d0e:f10")
    }

    @Test func losslessStringConvertible() {
        func roundTrip<T: LosslessStringConvertible & Equatable>(_ value: T) -> Bool { T(value.description) == value }
        #expect(roundTrip(IPv4Address(10, 1, 2, 3)))
        #expect(roundTrip(IPv6Address(high: 0x2001_0db8_0000_0000, low: 0x0000_0000_0000_0001)))
    }
}
