/// One change the kernel reported on a routing netlink group.
public struct NetworkChange: Sendable, Hashable, CustomStringConvertible {
    /// What changed.
    public enum Kind: String, Sendable, Hashable, Codable {
        case link
        case address
        case route
    }

    public var kind: Kind
    /// True for RTM_NEW*, false for RTM_DEL*.
    public var added: Bool
    /// The interface index (0 when the message named none, such as a route without an output link).
    public var interfaceIndex: Int32
    /// The interface name when known (links carry it; others are looked up, and a deleted link has none).
    public var interfaceName: String?

    /// Creates a change.
    public init(kind: Kind, added: Bool, interfaceIndex: Int32, interfaceName: String?) {
        self.kind = kind
        self.added = added
        self.interfaceIndex = interfaceIndex
        self.interfaceName = interfaceName
    }

    public var description: String {
        "\(self.added ? "new" : "del") \(self.kind.rawValue) if=\(self.interfaceIndex)\(self.interfaceName.map { "(\($0))" } ?? "")"
    }
}
