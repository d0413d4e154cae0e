import NIOCore
import NIOPosix

/// Decides whether the local user behind an intercepted connection may use it: the kernel
/// names the client socket's owner (``SocketOwnerLookup``, bounded by its timeout) and
/// ``InterceptOwnerPolicy`` decides. The blocking netlink query and the user/group database
/// reads run on NIO's thread pool, never on the event loop.
public final class InterceptOwnerCheck: Sendable {
    public let policy: InterceptOwnerPolicy
    private let lookup: SocketOwnerLookup
    private let threadPool: NIOThreadPool

    public init(policy: InterceptOwnerPolicy, lookup: SocketOwnerLookup = SocketOwnerLookup(), threadPool: NIOThreadPool = .singleton) {
        self.policy = policy
        self.lookup = lookup
        self.threadPool = threadPool
    }

    /// The verdict for the connection accepted as `channel` (its remote address is the
    /// client's source, its local address the client's destination).
    public func decide(for channel: Channel) -> EventLoopFuture<InterceptOwnerDecision> {
        let loop = channel.eventLoop
        guard let client = Self.endpoint(channel.remoteAddress), let us = Self.endpoint(channel.localAddress) else {
            return loop.makeSucceededFuture(.unknown(.notIPv4))
        }
        let lookup = self.lookup
        let policy = self.policy
        return self.threadPool.runIfActive(eventLoop: loop) { () -> InterceptOwnerDecision in
            let uid: UInt32
            do throws(SocketOwnerLookupError) {
                uid = try lookup.owner(source: client, destination: us)
            } catch {
                return .unknown(error)
            }
            return policy.admits(uid: uid) ? .admitted(uid: uid) : .refused(uid: uid)
        }.recover { _ in .unknown(.threadPoolUnavailable) }
    }

    static func endpoint(_ address: SocketAddress?) -> SocketOwnerLookup.Endpoint? {
        guard case .v4(let v4) = address else { return nil }
        return SocketOwnerLookup.Endpoint(address: UInt32(bigEndian: v4.address.sin_addr.s_addr), port: UInt16(bigEndian: v4.address.sin_port))
    }
}
