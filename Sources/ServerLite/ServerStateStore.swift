import CertStore
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
    public func snapshot(registry: Registry, defaultTTL: UInt32) throws -> ServerStateSnapshot {
        let definitions = try registry.zones()
        let endpoints = try registry.endpoints()
        let serial = UInt32(truncatingIfNeeded: try registry.stateVersion())
        var zones: [CompiledZone] = []
        for (name, definition) in definitions {
            zones.append(try CompiledZone(name: name, definition: definition, defaultTTL: defaultTTL, serial: serial))
        }
        return ServerStateSnapshot(zones: zones, endpoints: endpoints)
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
