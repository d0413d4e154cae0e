import NIOConcurrencyHelpers
import NIOCore

/// The router's open connections with who made them and to which name, so a state change
/// (revocation, an endpoint taken off a zone, a route removed) can close exactly the ones it no
/// longer allows.
public final class RoutedConnections: Sendable {
    /// One open connection.
    public struct Entry: Sendable {
        /// The client's CN and serial (nil on the passthrough listener, which has no client identity).
        public var peer: AuthenticatedPeer?
        /// The client's CN.
        public var commonName: String? { self.peer?.commonName }
        /// The SNI name the connection was routed by.
        public var serverName: String
        let channel: Channel
    }

    private let table = NIOLockedValueBox<[ObjectIdentifier: Entry]>([:])

    public init() {}

    func add(_ channel: Channel, peer: AuthenticatedPeer?, serverName: String) {
        self.table.withLockedValue { $0[ObjectIdentifier(channel)] = Entry(peer: peer, serverName: serverName, channel: channel) }
        channel.closeFuture.whenComplete { _ in
            self.table.withLockedValue { _ = $0.removeValue(forKey: ObjectIdentifier(channel)) }
        }
    }

    /// Open routed connections.
    public var count: Int { self.table.withLockedValue { $0.count } }

    /// Closes every connection `shouldClose` picks; returns how many.
    @discardableResult
    public func closeAll(where shouldClose: (Entry) -> Bool) -> Int {
        let doomed = self.table.withLockedValue { $0.values.filter(shouldClose).map(\.channel) }
        for channel in doomed { channel.close(promise: nil) }
        return doomed.count
    }
}
