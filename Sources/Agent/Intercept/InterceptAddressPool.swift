import DNSWire

/// A block of IPv4 loopback addresses the agent hands to private services ("127.77.0.0/16").
public struct InterceptAddressPool: Sendable, Hashable, CustomStringConvertible {
    public let network: IPv4Address
    public let prefixLength: Int

    /// Parses "A.B.C.D/N"; the block must lie inside 127.0.0.0/8 (so nothing but this host can
    /// ever be reached through it) and leave at least two usable addresses.
    public init(_ text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPv4Address(String(parts[0])), let length = Int(parts[1]), (8...30).contains(length) else {
            throw AgentError.configuration("intercept pool \(text) is not A.B.C.D/N (N from 8 to 30)")
        }
        let mask: UInt32 = length == 0 ? 0 : ~UInt32(0) << (32 - UInt32(length))
        guard address.rawValue & mask == address.rawValue else {
            throw AgentError.configuration("intercept pool \(text): host bits set (did you mean \(IPv4Address(rawValue: address.rawValue & mask))/\(length)?)")
        }
        guard address.octets[0] == 127 else {
            throw AgentError.configuration("intercept pool \(text) must be inside 127.0.0.0/8 (loopback)")
        }
        self.network = address
        self.prefixLength = length
    }

    /// Addresses in the block, network and broadcast addresses excluded.
    public var usableCount: Int { (1 << (32 - self.prefixLength)) - 2 }

    /// The `index`th usable address (0-based).
    public func address(at index: Int) -> IPv4Address {
        IPv4Address(rawValue: self.network.rawValue &+ UInt32(1 + index % self.usableCount))
    }

    /// Whether `address` is a usable address of the block.
    public func contains(_ address: IPv4Address) -> Bool {
        let offset = Int(address.rawValue &- self.network.rawValue)
        return address.rawValue >= self.network.rawValue && offset >= 1 && offset <= self.usableCount
    }

    public var description: String { "\(self.network)/\(self.prefixLength)" }
}
