import NIOConcurrencyHelpers
import NIOCore

/// The authenticated DoT connections open now, by the identity (CN and serial) they
/// authenticated with, so revoking an endpoint or retiring a serial can close them.
public final class ConnectionRegistry: Sendable {
    private let connections = NIOLockedValueBox<[ObjectIdentifier: (peer: AuthenticatedPeer, channel: Channel)]>([:])

    public init() {}

    func add(_ channel: Channel, peer: AuthenticatedPeer) {
        self.connections.withLockedValue { $0[ObjectIdentifier(channel)] = (peer, channel) }
        channel.closeFuture.whenComplete { _ in
            self.connections.withLockedValue { _ = $0.removeValue(forKey: ObjectIdentifier(channel)) }
        }
    }

    /// Open authenticated connections.
    public var count: Int { self.connections.withLockedValue { $0.count } }

    /// Open connections per CN.
    public func countsByCommonName() -> [String: Int] {
        self.connections.withLockedValue { table in
            table.values.reduce(into: [:]) { $0[$1.peer.commonName, default: 0] += 1 }
        }
    }

    /// Closes every connection whose identity `shouldClose` picks; returns how many were closed.
    @discardableResult
    public func closeAll(where shouldClose: (AuthenticatedPeer) -> Bool) -> Int {
        let doomed = self.connections.withLockedValue { table in
            table.values.filter { shouldClose($0.peer) }.map(\.channel)
        }
        for channel in doomed { channel.close(promise: nil) }
        return doomed.count
    }
}
