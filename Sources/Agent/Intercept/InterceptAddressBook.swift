import CertStore
import DNSWire
import Foundation
import NIOConcurrencyHelpers

/// Which loopback address each intercepted name has. Kept in `<state>/intercept.json` so a name
/// keeps its address across restarts (applications and caches may hold it); a new name starts
/// probing at a hash of itself, so even a lost file mostly gives the same addresses back.
public final class InterceptAddressBook: Sendable {
    private struct Stored: Codable {
        var pool: String
        var addresses: [String: String]
    }

    public let pool: InterceptAddressPool
    private let path: String?
    private let table: NIOLockedValueBox<[String: IPv4Address]>

    /// Loads the book at `path` (nil: in memory only). Entries outside `pool` are dropped; an
    /// unreadable file is set aside, not trusted.
    public init(pool: InterceptAddressPool, path: String?) {
        self.pool = pool
        self.path = path
        var table: [String: IPv4Address] = [:]
        if let path, let data = FileManager.default.contents(atPath: path), let stored = try? JSONDecoder().decode(Stored.self, from: data) {
            var used: Set<IPv4Address> = []
            for (name, text) in stored.addresses.sorted(by: { $0.key < $1.key }) {
                guard let address = IPv4Address(text), pool.contains(address), !used.contains(address) else { continue }
                table[name] = address
                used.insert(address)
            }
        }
        self.table = NIOLockedValueBox(table)
    }

    /// The address of `name` (lower case, no trailing dot), allocated and stored when new.
    public func address(for name: String) throws -> IPv4Address {
        let key = Self.key(name)
        let (address, isNew) = try self.table.withLockedValue { table -> (IPv4Address, Bool) in
            if let known = table[key] { return (known, false) }
            let used = Set(table.values)
            guard used.count < self.pool.usableCount else {
                throw AgentError.configuration("intercept pool \(self.pool) is full")
            }
            var index = Int(Self.hash(key) % UInt64(self.pool.usableCount))
            while used.contains(self.pool.address(at: index)) { index += 1 }
            let address = self.pool.address(at: index)
            table[key] = address
            return (address, true)
        }
        if isNew { self.save() }
        return address
    }

    /// The name an address belongs to, if any.
    public func name(for address: IPv4Address) -> String? {
        self.table.withLockedValue { table in table.first { $0.value == address }?.key }
    }

    /// Every name and its address.
    public var entries: [String: IPv4Address] { self.table.withLockedValue { $0 } }

    private func save() {
        guard let path = self.path else { return }
        let stored = Stored(pool: self.pool.description, addresses: self.table.withLockedValue { $0.mapValues(\.description) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let data = try? encoder.encode(stored) else { return }
        try? AtomicFile.write(Array(data) + [0x0A], to: path, mode: 0o600)
    }

    static func key(_ name: String) -> String {
        var text = name.lowercased()
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// FNV-1a, 64 bits: stable across runs and platforms (Swift's Hasher is seeded per process).
    static func hash(_ text: String) -> UInt64 {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01B3
        }
        return value
    }
}
