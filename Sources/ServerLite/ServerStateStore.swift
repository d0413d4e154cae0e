import CertStore
import DNSWire
import Foundation

/// Reads and writes server.json, and compiles the registry's zones and endpoints into a
/// ``ServerStateSnapshot``.
public struct ServerStateStore: Sendable {
    public let paths: ServerPaths

    public init(paths: ServerPaths) {
        self.paths = paths
    }

    public func loadConfiguration() throws -> ServerConfiguration {
        guard FileManager.default.fileExists(atPath: self.paths.configuration) else {
            throw ZoneError.unreadable(path: self.paths.configuration, reason: "missing; run 'ztserver init' first")
        }
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: self.paths.configuration))
            return try JSONDecoder.server.decode(ServerConfiguration.self, from: data)
        } catch {
            throw ZoneError.unreadable(path: self.paths.configuration, reason: "\(error)")
        }
    }

    public func saveConfiguration(_ configuration: ServerConfiguration) throws {
        let data = try JSONEncoder.server.encode(configuration)
        try AtomicFile.write(Array(data) + [UInt8(ascii: "\n")], to: self.paths.configuration, mode: 0o600)
    }

    /// Compiles zones and endpoints. Throws on the first bad zone, naming it, so a broken state
    /// never replaces a good one.
    ///
    /// A route's domains are answered by their zone with the router's address (unless the zone
    /// has its own records there): clients only ever learn the router, never the backend.
    public func snapshot(registry: Registry, defaultTTL: UInt32, routerAddress: String) throws -> ServerStateSnapshot {
        var definitions = try registry.zones()
        let endpoints = try registry.endpoints()
        let routes = try RouteTable(try registry.routes())
        let serial = UInt32(truncatingIfNeeded: try registry.stateVersion())
        let zoneNames = try definitions.keys.map { ($0, try DNSName($0)) }.sorted { $0.1.labelCount > $1.1.labelCount }
        let routerRecord = routerAddress.contains(":") ? "AAAA \(routerAddress)" : "A \(routerAddress)"
        for (domain, _) in routes.domains {
            guard let (zoneText, origin) = zoneNames.first(where: { domain.isSubdomain(of: $0.1) }) else { continue }
            let relative = domain.labels.dropLast(origin.labelCount).map { String(decoding: $0, as: UTF8.self) }.joined(separator: ".")
            let owner = relative.isEmpty ? "@" : relative
            if definitions[zoneText]?.records[owner]?.isEmpty ?? true {
                definitions[zoneText]?.records[owner] = [routerRecord]
            }
        }
        var zones: [CompiledZone] = []
        for (name, definition) in definitions {
            zones.append(try CompiledZone(name: name, definition: definition, defaultTTL: defaultTTL, serial: serial))
        }
        return ServerStateSnapshot(zones: zones, endpoints: endpoints, routes: routes)
    }
}

extension JSONEncoder {
    /// Stable, readable JSON for the state files.
    static var server: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}

extension JSONDecoder {
    static var server: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
