import DNSWire
import NIOCore

/// An IP network in CIDR notation ("10.0.0.0/8", "fe80::/10"; a bare address is a /32 or
/// /128). IPv4 is held as IPv4-mapped IPv6, so one comparison covers both families and
/// `::ffff:127.0.0.1` is inside 127.0.0.0/8.
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    /// The network's address, 16 bytes.
    let bytes: [UInt8]
    /// Leading bits that must match, 0-128 (an IPv4 /N is 96 + N).
    let prefixLength: Int
    public let description: String

    /// Parses "ADDRESS/N" or "ADDRESS"; nil when either part is malformed or host bits are set.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count) else { return nil }
        let addressText = String(parts[0])
        let bytes: [UInt8]
        let maximum: Int
        let offset: Int
        if let v4 = IPv4Address(addressText) {
            bytes = Self.mapped(v4.octets)
            maximum = 32
            offset = 96
        } else if let v6 = IPv6Address(addressText) {
            bytes = v6.octets
            maximum = 128
            offset = 0
        } else {
            return nil
        }
        let length: Int
        if parts.count == 2 {
            guard let parsed = Int(parts[1]), (0...maximum).contains(parsed), parts[1].allSatisfy(\.isNumber) else { return nil }
            length = parsed
        } else {
            length = maximum
        }
        self.bytes = bytes
        self.prefixLength = offset + length
        guard Self.masked(bytes, self.prefixLength) == bytes else { return nil }
        self.description = parts.count == 2 ? text : "\(addressText)/\(maximum)"
    }

    /// Whether `address` (16 bytes, IPv4 mapped) lies in the network.
    func contains(_ address: [UInt8]) -> Bool {
        address.count == 16 && Self.masked(address, self.prefixLength) == self.bytes
    }

    /// The 16-byte form of a socket address (IPv4 mapped); nil for Unix sockets.
    static func bytes(of address: SocketAddress) -> [UInt8]? {
        switch address {
        case .v4(let v4):
            let raw = UInt32(bigEndian: v4.address.sin_addr.s_addr)
            return self.mapped([UInt8(raw >> 24), UInt8(raw >> 16 & 0xff), UInt8(raw >> 8 & 0xff), UInt8(raw & 0xff)])
        case .v6(let v6):
            return withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
        case .unixDomainSocket:
            return nil
        }
    }

    private static func mapped(_ v4: [UInt8]) -> [UInt8] {
        Array(repeating: 0, count: 10) + [0xff, 0xff] + v4
    }

    private static func masked(_ bytes: [UInt8], _ length: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let bits = max(0, min(8, length - index * 8))
            return bits == 8 ? byte : bits == 0 ? 0 : byte & UInt8(0xff << (8 - bits) & 0xff)
        }
    }
}
