import CertStore
import Foundation
import ZTProtocol

/// The services this agent registered, kept in `<state>/services.json` (0600): the running agent
/// re-registers them at start and holds reverse tunnels for those marked reverse.
public struct LocalServiceStore: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// The stored services (none when the file does not exist). A damaged file is an error, not
    /// an empty list: the operator must see it.
    public func load() throws -> [ServiceRegistration] {
        guard let data = FileManager.default.contents(atPath: self.path) else { return [] }
        do {
            return try JSONDecoder().decode([ServiceRegistration].self, from: data)
        } catch {
            throw AgentError.configuration("\(self.path) is not a valid service list: \(error)")
        }
    }

    /// Adds or replaces (by name) a service.
    public func put(_ service: ServiceRegistration) throws {
        var services = try self.load().filter { $0.name != service.name }
        services.append(service)
        try self.save(services)
    }

    /// Removes a service; false when it was not stored.
    @discardableResult
    public func remove(named name: String) throws -> Bool {
        let services = try self.load()
        let kept = services.filter { $0.name != name }
        guard kept.count != services.count else { return false }
        try self.save(kept)
        return true
    }

    private func save(_ services: [ServiceRegistration]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(services.sorted { $0.name < $1.name })
        try AtomicFile.write(Array(data) + [0x0A], to: self.path, mode: 0o600)
    }
}
