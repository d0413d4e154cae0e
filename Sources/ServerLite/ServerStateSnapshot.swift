import DNSWire

/// The server's zones and endpoints at one moment, compiled and immutable. Queries read one
/// snapshot; a reload swaps in a new one as a whole.
public struct ServerStateSnapshot: Sendable {
    /// Zones, most specific (most labels) first, so the longest match wins.
    public let zones: [CompiledZone]
    public let endpoints: [String: EndpointRecord]

    public init(zones: [CompiledZone], endpoints: [String: EndpointRecord]) {
        self.zones = zones.sorted { $0.origin.labelCount > $1.origin.labelCount }
        self.endpoints = endpoints
    }

    public static let empty = ServerStateSnapshot(zones: [], endpoints: [:])

    /// The most specific private zone holding `name`.
    public func zone(containing name: DNSName) -> CompiledZone? {
        self.zones.first { name.isSubdomain(of: $0.origin) }
    }

    /// Whether `commonName` is a registered, not revoked endpoint.
    public func isActive(_ commonName: String) -> Bool {
        self.endpoints[commonName]?.status == .active
    }
}
