import NIOConcurrencyHelpers
import NIOCore

/// The authenticated DoT connections open now, by CN, so revoking an endpoint can close them.
public final class ConnectionRegistry: Sendable {
    private let connections = NIOLockedValueBox<[ObjectIdentifier: (commonName: String, channel: Channel)]>([:])

    public init() {}

    func add(_ channel: Channel, commonName: String) {
        self.connections.withLockedValue { $0[ObjectIdentifier(channel)] = (commonName, channel) }
        channel.closeFuture.whenComplete { _ in
            self.connections.withLockedValue { _ = $0.removeValue(forKey: ObjectIdentifier(channel)) }
        }
    }

    /// Open authenticated connections.
    public var count: Int { self.connections.withLockedValue { $0.count } }

    /// Open connections per CN.
    public func countsByCommonName() -> [String: Int] {
        self.connections.withLockedValue { table in
            table.values.reduce(into: [:]) { $0[$1.commonName, default: 0] += 1 }
        }
    }

    /// Closes every connection whose CN fails `isAllowed`; returns how many were closed.
    @discardableResult
    public func closeAll(where shouldClose: (String) -> Bool) -> Int {
        let doomed = self.connections.withLockedValue { table in
            table.values.filter { shouldClose($0.commonName) }.map(\.channel)
        }
        for channel in doomed { channel.close(promise: nil) }
        return doomed.count
    }
}
