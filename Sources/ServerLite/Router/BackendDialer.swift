import NIOCore
import NIOPosix

/// Opens the router's connection to a route's backend: by address, by resolving the client's
/// name (rpx), or through the service agent's reverse tunnel. The channel comes back with
/// `autoRead` off so nothing the backend sends before the splice is in place is lost.
struct BackendDialer: Sendable {
    let hub: ReverseTunnelHub
    let connectTimeout: TimeAmount

    func dial(_ route: RouteDefinition, serverName: String, on loop: EventLoop) -> EventLoopFuture<Channel> {
        switch route.dial {
        case .reverse:
            return self.hub.dial(route, on: loop, timeout: self.connectTimeout)
        case .address:
            return self.connect(host: route.host, port: route.port, on: loop)
        case .resolve:
            return self.connect(host: serverName, port: route.port, on: loop)
        }
    }

    private func connect(host: String, port: Int, on loop: EventLoop) -> EventLoopFuture<Channel> {
        ClientBootstrap(group: loop)
            .connectTimeout(self.connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelOption(.autoRead, value: false)
            .connect(host: host, port: port)
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
