import Foundation
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix

/// Which addresses the router may dial for a route: never, unless the operator allowed the
/// network (server-wide `serviceBackendAllowNetworks`, or per route `allow_networks`), a
/// loopback (127.0.0.0/8, ::1), link-local (169.254.0.0/16, fe80::/10) or unspecified (0.0.0.0,
/// ::) address, or one of the server's own interface addresses. Checked when a route is
/// registered or added and again at every dial, on the addresses a name resolves to then.
public struct BackendNetworkPolicy: Sendable {
    /// Networks allowed for every route (server.json `serviceBackendAllowNetworks`).
    public let allowed: [IPNetwork]

    static let loopback = ["127.0.0.0/8", "::1"].compactMap(IPNetwork.init)
    static let linkLocal = ["169.254.0.0/16", "fe80::/10"].compactMap(IPNetwork.init)
    static let unspecified = ["0.0.0.0", "::"].compactMap(IPNetwork.init)

    public init(allowed: [IPNetwork] = []) {
        self.allowed = allowed
    }

    /// The policy of `configuration` (its allowed networks were validated at load).
    public init(_ configuration: ServerConfiguration) {
        self.init(allowed: configuration.serviceBackendAllowNetworks.compactMap(IPNetwork.init))
    }

    /// Parses networks for `route add --allow-network` and server.json, naming a bad one.
    public static func networks(_ texts: [String]) throws -> [IPNetwork] {
        try texts.map { text in
            guard let network = IPNetwork(text) else {
                throw RouteError.invalid("'\(text)' is not a network (A.B.C.D/N, X:Y::/N or one address)")
            }
            return network
        }
    }

    /// Why `address` may not be dialed for `route` (nil: it may).
    public func refusal(of address: SocketAddress, for route: RouteDefinition, serverAddresses: [[UInt8]]) -> BackendAddressRefusal? {
        guard let bytes = IPNetwork.bytes(of: address) else { return .unspecified("\(address)") }
        let text = address.ipAddress ?? "\(address)"
        let routeAllowed = route.allowNetworks.compactMap(IPNetwork.init)
        if (self.allowed + routeAllowed).contains(where: { $0.contains(bytes) }) { return nil }
        if Self.loopback.contains(where: { $0.contains(bytes) }) { return .loopback(text) }
        if Self.linkLocal.contains(where: { $0.contains(bytes) }) { return .linkLocal(text) }
        if Self.unspecified.contains(where: { $0.contains(bytes) }) { return .unspecified(text) }
        if serverAddresses.contains(bytes) { return .serverAddress(text) }
        return nil
    }

    /// The first refusal among `addresses` (all must pass: a name that resolves to one refused
    /// address among good ones is refused, so the resolver's order cannot decide).
    public func refusal(of addresses: [SocketAddress], for route: RouteDefinition, host: String) -> BackendAddressRefusal? {
        guard !addresses.isEmpty else { return .unresolvable(host) }
        let own = Self.serverAddresses()
        return addresses.lazy.compactMap { self.refusal(of: $0, for: route, serverAddresses: own) }.first
    }

    /// Resolves `host` (an address literal, or a name through getaddrinfo: blocking, so call it
    /// off the event loops) and checks every address. Returns the addresses to dial.
    /// - Parameter requireAddress: whether a name that resolves to nothing is refused (at dial
    ///   time); when a route is registered it may not resolve yet, and the dial checks again.
    public func check(host: String, port: Int, for route: RouteDefinition, requireAddress: Bool = true) throws(BackendAddressRefusal) -> [SocketAddress] {
        let addresses = Self.resolve(host: host, port: port)
        if addresses.isEmpty, !requireAddress { return [] }
        if let refusal = self.refusal(of: addresses, for: route, host: host) { throw refusal }
        return addresses
    }

    /// The server's interface addresses now (16-byte form).
    static func serverAddresses() -> [[UInt8]] {
        ((try? System.enumerateDevices()) ?? []).compactMap { $0.address.flatMap(IPNetwork.bytes(of:)) }
    }

    /// Every address `host` resolves to (TCP), in the resolver's order; empty when none.
    static func resolve(host: String, port: Int) -> [SocketAddress] {
        if let literal = try? SocketAddress(ipAddress: host, port: port) { return [literal] }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let first = result else { return [] }
        defer { freeaddrinfo(first) }
        var addresses: [SocketAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            if let socketAddress = entry.pointee.ai_addr {
                switch Int32(socketAddress.pointee.sa_family) {
                case AF_INET:
                    let v4 = UnsafeRawPointer(socketAddress).load(as: sockaddr_in.self)
                    addresses.append(SocketAddress(v4, host: host))
                case AF_INET6:
                    let v6 = UnsafeRawPointer(socketAddress).load(as: sockaddr_in6.self)
                    addresses.append(SocketAddress(v6, host: host))
                default:
                    break
                }
            }
            cursor = entry.pointee.ai_next
        }
        return addresses
    }
}
