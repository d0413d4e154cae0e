import ConnectionAdmission
import NIOCore
import Testing

@Suite struct SourceAddressKeyTests {
    @Test func ipv4CountsPerAddress() throws {
        #expect(SourceAddressKey.key(for: try SocketAddress(ipAddress: "127.0.0.2", port: 4000)) == "127.0.0.2")
        #expect(SourceAddressKey.key(for: nil) == "unknown")
    }

    @Test func ipv6CountsPerSlash64() throws {
        let one = SourceAddressKey.key(for: try SocketAddress(ipAddress: "2001:db8:1:2::1", port: 1))
        let other = SourceAddressKey.key(for: try SocketAddress(ipAddress: "2001:db8:1:2:ffff:ffff:ffff:ffff", port: 2))
        let elsewhere = SourceAddressKey.key(for: try SocketAddress(ipAddress: "2001:db8:1:3::1", port: 1))
        #expect(one == "2001:db8:1:2::/64")
        #expect(one == other)
        #expect(one != elsewhere)
    }

    @Test func ipv4MappedCountsAsIPv4() throws {
        #expect(SourceAddressKey.key(for: try SocketAddress(ipAddress: "::ffff:192.0.2.7", port: 1)) == "192.0.2.7")
    }
}
