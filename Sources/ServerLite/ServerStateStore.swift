import CertStore
import Foundation

/// Reads and writes the server's zones.json and endpoints.json (atomically, 0600), and compiles
/// them into a ``ServerStateSnapshot``.
///
/// The CLI and the running server share these files; the server reloads them when they change.
public struct ServerStateStore: Sendable {
    public let paths: ServerPaths

    public init(paths: ServerPaths) {
        self.paths = paths
    }

    // MARK: Zones

    public func loadZones() throws -> [String: ZoneDefinition] {
        try self.load([String: ZoneDefinition].self, from: self.paths.zones) ?? [:]
    }

    public func saveZones(_ zones: [String: ZoneDefinition]) throws {
        try self.save(zones, to: self.paths.zones)
    }

    // MARK: Endpoints

    public func loadEndpoints() throws -> [String: EndpointRecord] {
        try self.load([String: EndpointRecord].self, from: self.paths.endpoints) ?? [:]
    }

    public func saveEndpoints(_ endpoints: [String: EndpointRecord]) throws {
        try self.save(endpoints, to: self.paths.endpoints)
    }

    // MARK: Configuration

    public func loadConfiguration() throws -> ServerConfiguration {
        guard let configuration = try self.load(ServerConfiguration.self, from: self.paths.configuration) else {
            throw ZoneError.unreadable(path: self.paths.configuration, reason: "missing; run 'ztserver init' first")
        }
        return configuration
    }

    public func saveConfiguration(_ configuration: ServerConfiguration) throws {
        try self.save(configuration, to: self.paths.configuration)
    }

    // MARK: Snapshot

    /// Compiles zones and endpoints. Throws on the first bad zone, naming it, so a broken edit
    /// never replaces a good state.
    public func snapshot(defaultTTL: UInt32) throws -> ServerStateSnapshot {
        let definitions = try self.loadZones()
        let endpoints = try self.loadEndpoints()
        let serial = UInt32(truncatingIfNeeded: Int(Date().timeIntervalSince1970))
        var zones: [CompiledZone] = []
        for (name, definition) in definitions {
            zones.append(try CompiledZone(name: name, definition: definition, defaultTTL: defaultTTL, serial: serial))
        }
        return ServerStateSnapshot(zones: zones, endpoints: endpoints)
    }

    /// Modification times of the state files, to notice edits.
    public func fingerprint() -> [Date?] {
        [self.paths.zones, self.paths.endpoints].map { path in
            (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
        }
    }

    // MARK: Files

    private func load<T: Decodable>(_ type: T.Type, from path: String) throws -> T? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            return try JSONDecoder.server.decode(T.self, from: data)
        } catch {
            throw ZoneError.unreadable(path: path, reason: "\(error)")
        }
    }

    private func save<T: Encodable>(_ value: T, to path: String) throws {
        let data = try JSONEncoder.server.encode(value)
        try AtomicFile.write(Array(data) + [UInt8(ascii: "\n")], to: path, mode: 0o600)
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
