import DNSWire
import Foundation

/// The server's zones and endpoints at one moment, compiled and immutable. Queries read one
/// snapshot; a reload swaps in a new one as a whole.
public struct ServerStateSnapshot: Sendable {
    /// Zones, most specific (most labels) first, so the longest match wins.
    public let zones: [CompiledZone]
    public let endpoints: [String: EndpointRecord]
    /// Where the router sends connections, by the names clients use.
    public let routes: RouteTable

    public init(zones: [CompiledZone], endpoints: [String: EndpointRecord], routes: RouteTable = .empty) {
        self.zones = zones.sorted { $0.origin.labelCount > $1.origin.labelCount }
        self.endpoints = endpoints
        self.routes = routes
    }

    public static let empty = ServerStateSnapshot(zones: [], endpoints: [:])

    /// Whether `commonName` may connect to `name` through the router: an active endpoint the
    /// name's zone allows.
    public func mayConnect(_ commonName: String, to name: DNSName) -> Bool {
        guard self.isActive(commonName), let zone = self.zone(containing: name) else { return false }
        return zone.allows(commonName)
    }

    /// The most specific private zone holding `name`.
    public func zone(containing name: DNSName) -> CompiledZone? {
        self.zones.first { name.isSubdomain(of: $0.origin) }
    }

    /// Whether the certificate `peer` presented may act as its CN now (nil) or why not: by the
    /// serial the registry issued last, not by the name alone.
    public func admission(of peer: AuthenticatedPeer, at now: Date = Date()) -> IdentityRefusal? {
        guard let endpoint = self.endpoints[peer.commonName] else { return .unknownEndpoint }
        guard now < peer.notValidAfter else { return .certificateExpired }
        return endpoint.admits(serial: peer.serial, at: now)
    }

    /// Whether `peer` is admitted now.
    public func admits(_ peer: AuthenticatedPeer, at now: Date = Date()) -> Bool {
        self.admission(of: peer, at: now) == nil
    }

    /// The grace windows of previous serials that end in `(after, until]`: when one does,
    /// connections made with that serial must close.
    public func graceWindowsEnding(after start: Date, until end: Date) -> Bool {
        self.endpoints.values.contains { endpoint in
            guard endpoint.previousSerial != nil, let until = endpoint.previousSerialValidUntil else { return false }
            return until > start && until <= end
        }
    }

    /// Whether `commonName` is a registered, not revoked endpoint.
    public func isActive(_ commonName: String) -> Bool {
        self.endpoints[commonName]?.status == .active
    }
}
