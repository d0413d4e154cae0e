/// A private service an endpoint may use, as its signed config lists it: the agent answers the
/// domains with loopback addresses of its own and carries connections on `ports` through the
/// router's tunnel listener.
public struct ServiceGrant: Codable, Sendable, Hashable {
    public var name: String
    public var domains: [String]
    public var ports: [Int]

    public init(name: String, domains: [String], ports: [Int]) {
        self.name = name
        self.domains = domains
        self.ports = ports
    }
}
