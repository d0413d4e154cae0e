import NIOCore
import NIOPosix

/// Opens the router's connection to a route's backend: by address, by resolving the client's
/// name (rpx), or through the service agent's reverse tunnel. The channel comes back with
/// `autoRead` off so nothing the backend sends before the splice is in place is lost.
///
/// Before dialing by address or by name, the host is resolved (off the event loop) and every
/// address it resolves to is checked against ``BackendNetworkPolicy``: a route cannot aim the
/// router at itself (loopback, link-local, unspecified, the server's own addresses) unless the
/// operator allowed the network. The dial then goes to the checked address, not to a second
/// resolution. A refusal fails the dial with ``BackendAddressRefusal``.
struct BackendDialer: Sendable {
    let hub: ReverseTunnelHub
    let connectTimeout: TimeAmount
    var policy = BackendNetworkPolicy()

    func dial(_ route: RouteDefinition, serverName: String, on loop: EventLoop) -> EventLoopFuture<Channel> {
        switch route.dial {
        case .reverse:
            return self.hub.dial(route, on: loop, timeout: self.connectTimeout)
        case .address:
            return self.connect(host: route.host, port: route.port, route: route, on: loop)
        case .resolve:
            return self.connect(host: serverName, port: route.port, route: route, on: loop)
        }
    }

    private func connect(host: String, port: Int, route: RouteDefinition, on loop: EventLoop) -> EventLoopFuture<Channel> {
        let policy = self.policy
        return NIOThreadPool.singleton.runIfActive(eventLoop: loop) { () throws(BackendAddressRefusal) -> SocketAddress in
            // Every address must pass; the first is dialed.
            guard let first = try policy.check(host: host, port: port, for: route).first else { throw .unresolvable(host) }
            return first
        }.flatMap { address in
            self.connect(to: address, on: loop)
        }
    }

    private func connect(to address: SocketAddress, on loop: EventLoop) -> EventLoopFuture<Channel> {
        ClientBootstrap(group: loop)
            .connectTimeout(self.connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelOption(.autoRead, value: false)
            .connect(to: address)
    }

    /// How the audit line names the backend.
    static func describe(_ route: RouteDefinition, serverName: String) -> String {
        switch route.dial {
        case .address: return route.host.contains(":") ? "[\(route.host)]:\(route.port)" : "\(route.host):\(route.port)"
        case .resolve: return "\(serverName):\(route.port) (resolved)"
        case .reverse: return "reverse via \(route.serviceCommonName)"
        }
    }
}
