#if canImport(Glibc)
import Glibc

/// The TCP sockets of this process (read from /proc/self/fd) and the options set on them, read
/// back from the kernel with getsockopt: a test finds the socket our code opened by its
/// addresses and checks what the code really set, not what it meant to set.
public enum SocketOptionProbe {
    /// One open IPv4 TCP socket of this process.
    public struct Socket: Sendable, CustomStringConvertible {
        public let descriptor: Int32
        public let localHost: String
        public let localPort: Int
        /// Empty and 0 for a listening or unconnected socket.
        public let peerHost: String
        public let peerPort: Int
        /// IPPROTO_TCP / TCP_NODELAY (1: Nagle off).
        public let noDelay: Int32
        /// SOL_SOCKET / SO_DEBUG (what `.socketOption(.tcp_nodelay)` sets by mistake: option 1 at
        /// the socket level; an unprivileged process may not set it).
        public let debug: Int32

        public var description: String {
            "fd \(self.descriptor) \(self.localHost):\(self.localPort) -> \(self.peerHost):\(self.peerPort) TCP_NODELAY=\(self.noDelay) SO_DEBUG=\(self.debug)"
        }
    }

    /// Every IPv4 stream socket this process has open now.
    public static func tcpSockets() -> [Socket] {
        guard let directory = opendir("/proc/self/fd") else { return [] }
        defer { closedir(directory) }
        var descriptors: [Int32] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if let descriptor = Int32(name) { descriptors.append(descriptor) }
        }
        return descriptors.compactMap(self.socket)
    }

    /// Connected sockets whose local or peer port is `port`.
    public static func connected(port: Int) -> [Socket] {
        self.tcpSockets().filter { $0.peerPort != 0 && ($0.localPort == port || $0.peerPort == port) }
    }

    private static func socket(_ descriptor: Int32) -> Socket? {
        guard let type = self.option(descriptor, SOL_SOCKET, SO_TYPE), type == Int32(SOCK_STREAM.rawValue),
              let local = self.address(descriptor, getsockname)
        else { return nil }
        let peer = self.address(descriptor, getpeername) ?? ("", 0)
        return Socket(
            descriptor: descriptor, localHost: local.host, localPort: local.port, peerHost: peer.host, peerPort: peer.port,
            noDelay: self.option(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY) ?? -1,
            debug: self.option(descriptor, SOL_SOCKET, SO_DEBUG) ?? -1
        )
    }

    private static func option(_ descriptor: Int32, _ level: Int32, _ name: Int32) -> Int32? {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(descriptor, level, name, &value, &length) == 0 ? value : nil
    }

    private static func address(
        _ descriptor: Int32, _ call: (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32
    ) -> (host: String, port: Int)? {
        var storage = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { call(descriptor, $0, &length) } }
        guard result == 0, storage.sin_family == sa_family_t(AF_INET) else { return nil }
        let raw = UInt32(bigEndian: storage.sin_addr.s_addr)
        let host = "\(raw >> 24).\((raw >> 16) & 0xff).\((raw >> 8) & 0xff).\(raw & 0xff)"
        return (host, Int(UInt16(bigEndian: storage.sin_port)))
    }
}
#endif
